using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Kernels;

public static class Reductions
{
    /// <summary>Sum in double, in a fixed order (deterministic), using blocks of float sums for speed.</summary>
    public static double SumDouble(ReadOnlySpan<float> x)
    {
        const int Block = 256;
        double total = 0;
        for (int i = 0; i < x.Length; i += Block)
            total += TensorPrimitives.Sum(x.Slice(i, Math.Min(Block, x.Length - i)));
        return total;
    }

    /// <summary>acc[c] += Σ_r m[r, c] for a row-major (rows, cols) matrix.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> m, int rows, int cols, Span<float> acc)
    {
        if (m.Length < rows * cols || acc.Length < cols)
            throw new ArgumentException($"AddColumnSums: matrix needs {rows * cols} elements (has {m.Length}), accumulator {cols} (has {acc.Length}).");
        var a = acc[..cols];
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(a, m.Slice(r * cols, cols), a);
    }
}
