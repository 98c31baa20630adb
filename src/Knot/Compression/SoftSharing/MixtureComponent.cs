namespace Knot.Compression.SoftSharing;

/// <summary>One Gaussian of the mixture in plain numbers: mean, precision λ = 1/σ² and mixing proportion π.</summary>
public readonly record struct MixtureComponent(double Mean, double Precision, double Mixing)
{
    public double Variance => 1 / Precision;

    public double StandardDeviation => Math.Sqrt(1 / Precision);
}
