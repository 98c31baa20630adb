namespace Knot.Compression.Proximal;

/// <summary>
/// The OWL weight sequence λ1 ≥ λ2 ≥ … ≥ λn ≥ 0 with λ1 > 0 (METHODS.md §1.2); λ_i multiplies the i-th largest
/// magnitude (or group norm). Index i below is 1-based as in the paper; <see cref="Values"/> is 0-based.
/// <para>Scale: these are regularisation strengths; a proximal operator applied with step size η (the learning
/// rate of the step just taken) uses μ_i = η·λ_i. The GrOWL paper's λ values are "per epoch" (prox applied once per
/// epoch); applied every step, use <see cref="LambdaScale.PerStepFromPerEpoch"/> (λ/B) or <see cref="Scaled"/>.</para>
/// </summary>
public sealed class OwlWeights
{
    private readonly float[] _values;

    private OwlWeights(float[] values, string family)
    {
        Validate(values, family);
        _values = values;
        Family = family;
    }

    /// <summary>λ values, non-increasing, length = number of groups (or vector entries).</summary>
    public ReadOnlySpan<float> Values => _values;
    public int Count => _values.Length;
    /// <summary>Which family built the sequence (for logs and reports).</summary>
    public string Family { get; }

    /// <summary>
    /// One entry point for configuration (recipes, CLI): the family's sequence for n groups. Λ2 is ignored by group
    /// Lasso and ρ by every family but PLD.
    /// </summary>
    public static OwlWeights Create(OwlFamily family, int n, double lambda1, double lambda2 = 0, double rho = 0.5) => family switch
    {
        OwlFamily.GroupLasso => GroupLasso(n, lambda1),
        OwlFamily.Oscar => Oscar(n, lambda1, lambda2),
        OwlFamily.Pld => Pld(n, lambda1, lambda2, rho),
        OwlFamily.Spike => Spike(n, lambda1, lambda2),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown OWL family."),
    };

    /// <summary>Group Lasso / ℓ1: λ_i = Λ1 for every i.</summary>
    public static OwlWeights GroupLasso(int n, double lambda1)
    {
        CheckCount(n);
        CheckStrength(lambda1, nameof(lambda1));
        var v = new float[n];
        Array.Fill(v, (float)lambda1);
        return new OwlWeights(v, "group-lasso");
    }

    /// <summary>OSCAR (linear decay): λ_i = Λ1 + Λ2 (n − i).</summary>
    public static OwlWeights Oscar(int n, double lambda1, double lambda2)
    {
        CheckCount(n);
        CheckStrength(lambda1, nameof(lambda1));
        CheckStrength(lambda2, nameof(lambda2));
        var v = new float[n];
        for (int i = 1; i <= n; i++) v[i - 1] = (float)(lambda1 + lambda2 * (n - i));
        return new OwlWeights(v, "oscar");
    }

    /// <summary>
    /// PLD ("stairwise", every reported GrOWL result): λ_i = Λ1 + (p − i) Λ2 for i ≤ p, Λ1 for i &gt; p, p = ⌊ρ n⌋.
    /// </summary>
    public static OwlWeights Pld(int n, double lambda1, double lambda2, double rho)
    {
        CheckCount(n);
        CheckStrength(lambda1, nameof(lambda1));
        CheckStrength(lambda2, nameof(lambda2));
        if (!double.IsFinite(rho) || rho < 0 || rho > 1)
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "PLD ρ must be a finite value in [0, 1].");
        int p = (int)Math.Floor(rho * n);
        var v = new float[n];
        for (int i = 1; i <= n; i++) v[i - 1] = (float)(i <= p ? lambda1 + (p - i) * lambda2 : lambda1);
        return new OwlWeights(v, "pld");
    }

    /// <summary>Spike: λ1 = Λ1 + Λ2, λ_i = Λ2 for i &gt; 1 (penalises only the largest magnitude extra).</summary>
    public static OwlWeights Spike(int n, double lambda1, double lambda2)
    {
        CheckCount(n);
        CheckStrength(lambda1, nameof(lambda1));
        CheckStrength(lambda2, nameof(lambda2));
        var v = new float[n];
        Array.Fill(v, (float)lambda2);
        v[0] = (float)(lambda1 + lambda2);
        return new OwlWeights(v, "spike");
    }

    /// <summary>An explicit per-rank λ vector (copied).</summary>
    public static OwlWeights Explicit(ReadOnlySpan<float> lambdas)
    {
        CheckCount(lambdas.Length);
        return new OwlWeights(lambdas.ToArray(), "explicit");
    }

    /// <summary>Every λ multiplied by <paramref name="factor"/> (&gt; 0), e.g. 1/B to turn per-epoch λ into per-step λ.</summary>
    public OwlWeights Scaled(double factor)
    {
        if (!double.IsFinite(factor) || factor <= 0)
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Scale factor must be finite and > 0.");
        var v = new float[_values.Length];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(_values[i] * factor);
        return new OwlWeights(v, Family);
    }

    private static void CheckCount(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "The number of OWL weights (groups) must be >= 1.");
    }

    private static void CheckStrength(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, "Regularisation strengths must be finite and >= 0.");
    }

    private static void Validate(float[] v, string family)
    {
        for (int i = 0; i < v.Length; i++)
        {
            if (!float.IsFinite(v[i]))
                throw new ArgumentException($"OWL weights ({family}): λ[{i}] = {v[i]} is not finite.", "lambdas");
            if (v[i] < 0)
                throw new ArgumentException($"OWL weights ({family}): λ[{i}] = {v[i]} must be >= 0.", "lambdas");
            if (i > 0 && v[i] > v[i - 1])
                throw new ArgumentException($"OWL weights ({family}) must be non-increasing: λ[{i - 1}] = {v[i - 1]} < λ[{i}] = {v[i]}.", "lambdas");
        }
        if (!(v[0] > 0))
            throw new ArgumentException($"OWL weights ({family}): λ1 must be > 0 (got {v[0]}).", "lambdas");
    }
}

/// <summary>The λ families of METHODS.md §1.2.</summary>
public enum OwlFamily
{
    /// <summary>λ_i = Λ1.</summary>
    GroupLasso,
    /// <summary>λ_i = Λ1 + Λ2 (n − i).</summary>
    Oscar,
    /// <summary>λ_i = Λ1 + (p − i) Λ2 for i ≤ p = ⌊ρn⌋, else Λ1.</summary>
    Pld,
    /// <summary>λ1 = Λ1 + Λ2, λ_i = Λ2 for i &gt; 1.</summary>
    Spike,
}

/// <summary>Conversions between the ways papers state regularisation strengths.</summary>
public static class LambdaScale
{
    /// <summary>
    /// The GrOWL reference code applied the prox once per epoch with μ = lr·λ_epoch. Applying it after each of the
    /// B steps of an epoch with μ = lr·λ_step gives the same total shrinkage when λ_step = λ_epoch / B.
    /// </summary>
    public static double PerStepFromPerEpoch(double lambdaPerEpoch, int stepsPerEpoch)
    {
        if (!double.IsFinite(lambdaPerEpoch) || lambdaPerEpoch < 0)
            throw new ArgumentOutOfRangeException(nameof(lambdaPerEpoch), lambdaPerEpoch, "λ must be finite and >= 0.");
        if (stepsPerEpoch < 1)
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "Steps per epoch must be >= 1.");
        return lambdaPerEpoch / stepsPerEpoch;
    }
}
