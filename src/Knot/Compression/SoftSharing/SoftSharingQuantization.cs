namespace Knot.Compression.SoftSharing;

/// <summary>
/// The result of snapping weights to a mixture: one codebook shared by all tensors (as in SWS), per-tensor
/// codebook indices and the snapped weights (<c>Weights[t][i] == Codebook[Indices[t][i]]</c> exactly).
/// </summary>
public sealed class SoftSharingQuantization
{
    internal SoftSharingQuantization(float[] codebook, int[][] indices, float[][] weights, long nonZero, long total, int distinct)
    {
        Codebook = codebook;
        Indices = indices;
        Weights = weights;
        NonZeroCount = nonZero;
        WeightCount = total;
        DistinctValues = distinct;
    }

    /// <summary>Distinct values: index 0 is exactly 0 (always present), then the other used means ascending.</summary>
    public float[] Codebook { get; }

    /// <summary>Per tensor, per weight: index into <see cref="Codebook"/>.</summary>
    public IReadOnlyList<int[]> Indices { get; }

    /// <summary>Per tensor: the snapped weights.</summary>
    public IReadOnlyList<float[]> Weights { get; }

    public long WeightCount { get; }

    public long NonZeroCount { get; }

    /// <summary>Non-zero weights / all weights (0 for no weights).</summary>
    public double NonZeroFraction => WeightCount == 0 ? 0 : (double)NonZeroCount / WeightCount;

    /// <summary>Number of distinct values among the snapped weights (zero counted only if some weight is 0).</summary>
    public int DistinctValues { get; }
}
