namespace Knot.Compression.SoftSharing;

/// <summary>
/// Gamma(α, β) hyper-prior on a component's precision λ (shape α, rate β). Its negative log-density, dropping
/// the normalising constant, is (1 − α)·log λ + β·λ; the mode is λ = (α − 1)/β. Like the SWS tutorial we use
/// this density in λ as is, although the optimiser works on s = log λ (no change-of-variables Jacobian), so the
/// penalty's minimum sits exactly at that mode.
/// </summary>
public readonly record struct GammaHyperPrior
{
    public GammaHyperPrior(double alpha, double beta)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Gamma shape α must be finite and > 0.");
        if (!double.IsFinite(beta) || beta <= 0)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Gamma rate β must be finite and > 0.");
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>Shape α.</summary>
    public double Alpha { get; }

    /// <summary>Rate β.</summary>
    public double Beta { get; }

    /// <summary>SWS tutorial values for the zero component: (α, β) = (5000, 2), mode λ ≈ 2500 (σ ≈ 0.02).</summary>
    public static GammaHyperPrior ZeroComponentDefault => new(5000, 2);

    /// <summary>SWS tutorial values for the learned components: (α, β) = (250, 0.1), mode λ = 2490.</summary>
    public static GammaHyperPrior ComponentDefault => new(250, 0.1);

    /// <summary>(1 − α)·s + β·e^s for log-precision s (constants dropped).</summary>
    public double NegativeLogDensity(double logPrecision) => (1 - Alpha) * logPrecision + Beta * Math.Exp(logPrecision);

    /// <summary>d/ds of <see cref="NegativeLogDensity"/>: (1 − α) + β·e^s.</summary>
    public double Derivative(double logPrecision) => (1 - Alpha) + Beta * Math.Exp(logPrecision);
}
