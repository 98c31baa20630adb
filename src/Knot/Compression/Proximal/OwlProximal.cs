namespace Knot.Compression.Proximal;

/// <summary>
/// OWL on a plain vector: Ω(x) = Σ_i λ_i |x|_(i). Apply: x ← sign(x) ⊙ (OWL prox of |x|). No group structure and no
/// dead mask (zeros come from the math and may regrow under later gradient steps).
/// </summary>
public sealed class OwlProximal : IProximalOperator
{
    private readonly OwlProxSolver _solver;
    private readonly float[] _magnitudes;
    private readonly float[] _shrunk;

    public OwlProximal(OwlWeights lambdas)
    {
        ArgumentNullException.ThrowIfNull(lambdas);
        Lambdas = lambdas;
        _solver = new OwlProxSolver(lambdas.Count);
        _magnitudes = new float[lambdas.Count];
        _shrunk = new float[lambdas.Count];
    }

    public OwlWeights Lambdas { get; }
    public int Length => Lambdas.Count;

    public void Apply(Span<float> weights, float stepSize)
    {
        CheckLength(weights.Length);
        if (!float.IsFinite(stepSize) || stepSize < 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The prox step size must be finite and >= 0.");
        Magnitudes(weights);
        _solver.Solve(_magnitudes, Lambdas.Values, stepSize, _shrunk);
        for (int i = 0; i < weights.Length; i++)
        {
            float s = _shrunk[i];
            weights[i] = s == 0f ? 0f : (weights[i] < 0 ? -s : s);
        }
    }

    public double Value(ReadOnlySpan<float> weights)
    {
        CheckLength(weights.Length);
        Magnitudes(weights);
        return _solver.Norm(_magnitudes, Lambdas.Values);
    }

    private void Magnitudes(ReadOnlySpan<float> weights)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            float a = MathF.Abs(weights[i]);
            if (!float.IsFinite(a))
                throw new ArgumentException($"weights[{i}] = {weights[i]} is not finite.", nameof(weights));
            _magnitudes[i] = a;
        }
    }

    private void CheckLength(int length)
    {
        if (length != Length)
            throw new ArgumentException($"Expected {Length} weights (one per λ), got {length}.", "weights");
    }
}
