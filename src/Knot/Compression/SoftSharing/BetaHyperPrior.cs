namespace Knot.Compression.SoftSharing;

/// <summary>
/// Beta(a, b) hyper-prior on the zero component's mixing proportion π0 when π0 is learned. Negative log-density
/// without its constant: −(a − 1)·log π0 − (b − 1)·log(1 − π0); mode (a − 1)/(a + b − 2). The optimiser works on
/// the logit η (π0 = sigmoid η) and, as with the Gamma prior, the density is used in π0 without a Jacobian.
/// </summary>
public readonly record struct BetaHyperPrior
{
    public BetaHyperPrior(double a, double b)
    {
        if (!double.IsFinite(a) || a <= 0) throw new ArgumentOutOfRangeException(nameof(a), a, "Beta parameter a must be finite and > 0.");
        if (!double.IsFinite(b) || b <= 0) throw new ArgumentOutOfRangeException(nameof(b), b, "Beta parameter b must be finite and > 0.");
        A = a;
        B = b;
    }

    public double A { get; }

    public double B { get; }

    /// <summary>
    /// Knot's default (the paper gives no numbers): Beta(1000, 2), whose mode is π0 = 0.999, the value used when
    /// π0 is fixed. It is weak next to ~10⁵ weights, so the data decide how many weights go to zero.
    /// </summary>
    public static BetaHyperPrior Default => new(1000, 2);

    /// <summary>−(a − 1)·log π0 − (b − 1)·log(1 − π0), evaluated from the logit η stably.</summary>
    public double NegativeLogDensity(double logit) =>
        -(A - 1) * LogSigmoid(logit) - (B - 1) * LogSigmoid(-logit);

    /// <summary>d/dη of <see cref="NegativeLogDensity"/>: −(a − 1)(1 − π0) + (b − 1)·π0.</summary>
    public double Derivative(double logit)
    {
        double pi0 = Sigmoid(logit);
        return -(A - 1) * (1 - pi0) + (B - 1) * pi0;
    }

    internal static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>log sigmoid(x) without overflow or cancellation for large |x|.</summary>
    internal static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
}
