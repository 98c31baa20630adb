using System.Runtime.Intrinsics;

namespace Knot.Compression.SoftSharing;

/// <summary>
/// Per-component constants broadcast to Vector256 lanes, plus scratch, reused by every evaluation so that a
/// training step allocates nothing. Owned by one <see cref="GaussianMixturePrior"/>; not thread-safe.
/// </summary>
internal sealed class MixtureKernelWorkspace
{
    public MixtureKernelWorkspace(int components)
    {
        ComponentCount = components;
        Means = new Vector256<float>[components];
        NegHalfPrecisions = new Vector256<float>[components];
        Precisions = new Vector256<float>[components];
        LogWeights = new Vector256<float>[components];
        Terms = new Vector256<float>[components];
        Accumulators = new Vector256<float>[3 * components];
        Statistics = new double[3 * components];
        MeansD = new double[components];
        LogPrecisionsD = new double[components];
        LogMixingD = new double[components];
        SoftmaxD = new double[components];
    }

    public int ComponentCount { get; }

    // Vector path, one broadcast value per component j.
    public Vector256<float>[] Means { get; }
    public Vector256<float>[] NegHalfPrecisions { get; }   // −λ_j / 2
    public Vector256<float>[] Precisions { get; }          // λ_j
    public Vector256<float>[] LogWeights { get; }          // log π_j + ½ log λ_j − ½ log 2π
    public Vector256<float>[] Terms { get; }               // per weight vector: log terms, then exp(term − max)
    public Vector256<float>[] Accumulators { get; }        // [S0 | S1 | S2] for the current block, float lanes

    /// <summary>S0_j = Σ r_ij, S1_j = Σ r_ij (w_i − μ_j), S2_j = Σ r_ij (w_i − μ_j)², laid out [S0 | S1 | S2].</summary>
    public double[] Statistics { get; }

    // The same parameters in double: the scalar path, the gradient chain rule and post-processing use them.
    public double[] MeansD { get; }
    public double[] LogPrecisionsD { get; }
    public double[] LogMixingD { get; }
    /// <summary>softmax(ρ) at index 1..J (index 0 unused).</summary>
    public double[] SoftmaxD { get; }
}
