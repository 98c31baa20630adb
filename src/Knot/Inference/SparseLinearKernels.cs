using System.Numerics.Tensors;

namespace Knot.Inference;

/// <summary>
/// Linear-layer kernels that compute on the stored form of a weight matrix (out × in), batch-major in and out. They
/// work on transposed activations: xT is (in × batch), yT is (out × batch), so every stored weight w at (r, c)
/// becomes one vectorised yT[r, :] += w · xT[c, :] over the batch — sparse or codebook weights never get expanded.
/// </summary>
public static class SparseLinearKernels
{
    /// <summary>CSR with float values: yT[r, :] = Σ_e values[e] · xT[col[e], :].</summary>
    public static void CsrFloat(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columns, ReadOnlySpan<float> values,
        ReadOnlySpan<float> xT, Span<float> yT, int batch)
    {
        int rows = rowPointers.Length - 1;
        for (int r = 0; r < rows; r++)
        {
            var y = yT.Slice(r * batch, batch);
            for (int e = rowPointers[r]; e < rowPointers[r + 1]; e++)
                TensorPrimitives.MultiplyAdd(xT.Slice(columns[e] * batch, batch), values[e], y, y);
        }
    }

    /// <summary>CSR with codebook indices: the value of entry e is codebook[codes[e]], gathered per entry.</summary>
    public static void CsrCodebook(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columns, ReadOnlySpan<ushort> codes, ReadOnlySpan<float> codebook,
        ReadOnlySpan<float> xT, Span<float> yT, int batch)
    {
        int rows = rowPointers.Length - 1;
        for (int r = 0; r < rows; r++)
        {
            var y = yT.Slice(r * batch, batch);
            for (int e = rowPointers[r]; e < rowPointers[r + 1]; e++)
                TensorPrimitives.MultiplyAdd(xT.Slice(columns[e] * batch, batch), codebook[codes[e]], y, y);
        }
    }

    /// <summary>Every weight stored as a code (rows × columns codes): gathers codebook[code]; zero centroids are skipped.</summary>
    public static void DenseCodebook(ReadOnlySpan<ushort> codes, int columns, ReadOnlySpan<float> codebook,
        ReadOnlySpan<float> xT, Span<float> yT, int batch)
    {
        int rows = codes.Length / columns;
        for (int r = 0; r < rows; r++)
        {
            var y = yT.Slice(r * batch, batch);
            var rowCodes = codes.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                float w = codebook[rowCodes[c]];
                if (w != 0f) TensorPrimitives.MultiplyAdd(xT.Slice(c * batch, batch), w, y, y);
            }
        }
    }

    /// <summary>dst (cols × rows) = srcᵀ for a row-major src (rows × cols).</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        const int block = 32;
        for (int r0 = 0; r0 < rows; r0 += block)
        {
            int r1 = Math.Min(rows, r0 + block);
            for (int c0 = 0; c0 < cols; c0 += block)
            {
                int c1 = Math.Min(cols, c0 + block);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
            }
        }
    }
}
