namespace Knot.Compression.Proximal;

/// <summary>
/// Group Lasso: Ω(W) = λ Σ_j ‖g_j‖. Its prox is the group soft-threshold g_j ← max(0, 1 − μ/‖g_j‖)·g_j with μ = η·λ.
/// Equal to GrOWL with constant λ, in O(n) instead of O(n log n).
/// </summary>
public sealed class GroupLassoProximal : GroupProximalOperator
{
    public GroupLassoProximal(GroupLayout layout, float lambda, float deadThreshold = DefaultDeadThreshold)
        : base(layout, deadThreshold)
    {
        if (!float.IsFinite(lambda) || lambda <= 0)
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Group Lasso λ must be finite and > 0.");
        Lambda = lambda;
    }

    public float Lambda { get; }

    private protected override void ShrinkNorms(ReadOnlySpan<float> norms, float stepSize, Span<float> shrunk)
    {
        float mu = stepSize * Lambda;
        for (int j = 0; j < norms.Length; j++) shrunk[j] = MathF.Max(norms[j] - mu, 0f);
    }

    private protected override double Penalty(ReadOnlySpan<float> norms)
    {
        double total = 0;
        foreach (float r in norms) total += r;
        return Lambda * total;
    }
}
