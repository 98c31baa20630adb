namespace Knot.Compression.Proximal;

/// <summary>
/// GrOWL (METHODS.md §1): OWL applied to the vector of group norms, Ω(W) = Σ_i λ_i ‖g_[i]‖ with ‖g_[1]‖ ≥ ‖g_[2]‖ ≥ ….
/// Apply computes the exact prox of η·Ω: the OWL prox of the norms (sort, d = r − ηλ, PAVA projection onto the
/// monotone non-negative cone, un-permute), then scales each group to its new norm. Whole groups become exactly zero
/// and groups pooled into one PAVA block get exactly equal norms.
/// </summary>
public sealed class GrowlProximal : GroupProximalOperator
{
    private readonly OwlProxSolver _solver;

    public GrowlProximal(GroupLayout layout, OwlWeights lambdas, float deadThreshold = DefaultDeadThreshold)
        : base(layout, deadThreshold)
    {
        ArgumentNullException.ThrowIfNull(lambdas);
        if (lambdas.Count != layout.GroupCount)
            throw new ArgumentException($"Expected one λ per group ({layout.GroupCount} for {layout}), got {lambdas.Count}.", nameof(lambdas));
        Lambdas = lambdas;
        _solver = new OwlProxSolver(layout.GroupCount);
    }

    public OwlWeights Lambdas { get; }

    private protected override void ShrinkNorms(ReadOnlySpan<float> norms, float stepSize, Span<float> shrunk)
        => _solver.Solve(norms, Lambdas.Values, stepSize, shrunk);

    private protected override double Penalty(ReadOnlySpan<float> norms) => _solver.Norm(norms, Lambdas.Values);
}
