namespace Knot.Compression.SoftSharing;

/// <summary>
/// Settings of the soft weight-sharing prior (METHODS.md §2). Defaults follow the public SWS tutorial:
/// 16 learned components + the zero component, π0 = 0.999 fixed, σ = 0.25 at start, Gamma hyper-priors
/// (5000, 2) on the zero component's precision and (250, 0.1) on the others.
/// </summary>
public sealed record GaussianMixturePriorOptions
{
    /// <summary>J: number of learned components (the zero component comes on top, so J + 1 in all).</summary>
    public int LearnedComponents { get; init; } = 16;

    /// <summary>π0, the zero component's mixing proportion: its fixed value, or its initial value when learned.</summary>
    public double ZeroMixing { get; init; } = 0.999;

    /// <summary>Learn π0 (through its logit) instead of keeping it fixed.</summary>
    public bool LearnZeroMixing { get; init; }

    /// <summary>Hyper-prior on π0 when it is learned; null for none. Ignored when π0 is fixed.</summary>
    public BetaHyperPrior? ZeroMixingPrior { get; init; } = BetaHyperPrior.Default;

    /// <summary>Initial standard deviation σ of the learned components (log-precision = −2·log σ).</summary>
    public double InitialSigma { get; init; } = 0.25;

    /// <summary>
    /// Initial σ of the zero component; null means the same as <see cref="InitialSigma"/>, which is what the
    /// tutorial does (all 17 log-precisions start at −log 0.25²). Its Gamma hyper-prior then pulls it towards
    /// σ ≈ 0.02 during retraining.
    /// </summary>
    public double? ZeroInitialSigma { get; init; }

    /// <summary>Gamma hyper-prior on the zero component's precision; null for none.</summary>
    public GammaHyperPrior? ZeroPrecisionPrior { get; init; } = GammaHyperPrior.ZeroComponentDefault;

    /// <summary>Gamma hyper-prior on each learned component's precision; null for none.</summary>
    public GammaHyperPrior? PrecisionPrior { get; init; } = GammaHyperPrior.ComponentDefault;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (LearnedComponents < 1 || LearnedComponents > 4096)
            throw new ArgumentException($"LearnedComponents must be in [1, 4096], got {LearnedComponents}.", nameof(LearnedComponents));
        if (!(ZeroMixing > 0 && ZeroMixing < 1))
            throw new ArgumentException($"ZeroMixing (π0) must be in the open interval (0, 1), got {ZeroMixing}.", nameof(ZeroMixing));
        if (!double.IsFinite(InitialSigma) || InitialSigma <= 0)
            throw new ArgumentException($"InitialSigma must be finite and > 0, got {InitialSigma}.", nameof(InitialSigma));
        if (ZeroInitialSigma is { } z && (!double.IsFinite(z) || z <= 0))
            throw new ArgumentException($"ZeroInitialSigma must be finite and > 0, got {z}.", nameof(ZeroInitialSigma));
        // default(GammaHyperPrior) / default(BetaHyperPrior) bypass their constructors' checks.
        if (ZeroPrecisionPrior is { } zp && !(zp.Alpha > 0 && zp.Beta > 0))
            throw new ArgumentException($"ZeroPrecisionPrior needs α > 0 and β > 0, got ({zp.Alpha}, {zp.Beta}).", nameof(ZeroPrecisionPrior));
        if (PrecisionPrior is { } pp && !(pp.Alpha > 0 && pp.Beta > 0))
            throw new ArgumentException($"PrecisionPrior needs α > 0 and β > 0, got ({pp.Alpha}, {pp.Beta}).", nameof(PrecisionPrior));
        if (ZeroMixingPrior is { } bp && !(bp.A > 0 && bp.B > 0))
            throw new ArgumentException($"ZeroMixingPrior needs a > 0 and b > 0, got ({bp.A}, {bp.B}).", nameof(ZeroMixingPrior));
    }
}
