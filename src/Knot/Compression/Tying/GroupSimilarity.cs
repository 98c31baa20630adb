using System.Numerics.Tensors;

namespace Knot.Compression.Tying;

/// <summary>
/// The GrOWL tying similarity (METHODS.md §1.4): S_ij = ⟨g_i, g_j⟩ / max(‖g_i‖², ‖g_j‖²). By Cauchy–Schwarz
/// |S_ij| ≤ 1, and S_ij = 1 iff g_i = g_j (equal direction and equal norm). Defined for non-zero groups only.
/// </summary>
public static class GroupSimilarity
{
    public static double Pair(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Groups must have equal length, got {a.Length} and {b.Length}.", nameof(b));
        double aa = TensorPrimitives.Dot(a, a);
        double bb = TensorPrimitives.Dot(b, b);
        if (!(aa > 0) || !(bb > 0))
            throw new ArgumentException("Similarity is defined for non-zero groups only (a zero group is removed, not tied).", nameof(a));
        return TensorPrimitives.Dot(a, b) / Math.Max(aa, bb);
    }

    /// <summary>The full n × n matrix (row-major, symmetric, unit diagonal) for the given group vectors.</summary>
    public static double[] Matrix(GroupVectors groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        int n = groups.Count;
        for (int i = 0; i < n; i++)
            if (!(groups.SquaredNorm(i) > 0))
                throw new ArgumentException($"Group {groups.Groups[i]} is zero; similarity is defined for non-zero groups only.", nameof(groups));
        var s = new double[(long)n * n <= Array.MaxLength ? n * n : throw new ArgumentException($"{n} groups are too many for an n × n similarity matrix.", nameof(groups))];
        for (int i = 0; i < n; i++)
        {
            s[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++)
            {
                double v = groups.Dot(i, j) / Math.Max(groups.SquaredNorm(i), groups.SquaredNorm(j));
                s[i * n + j] = v;
                s[j * n + i] = v;
            }
        }
        return s;
    }
}
