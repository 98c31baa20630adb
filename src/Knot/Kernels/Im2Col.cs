using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

/// <summary>
/// im2col / col2im for one image of a convolution. The column matrix has <see cref="ConvolutionGeometry.PatchSize"/>
/// rows (c, i, j in that order, matching a (Cout, Cin, kh, kw) weight read as (Cout, Cin·kh·kw)) and one column per
/// output pixel. Several images can share one matrix side by side (row stride <c>ldCol</c>, first column
/// <c>colOffset</c>) so that a whole chunk of the batch becomes one wide GEMM.
/// </summary>
public static class Im2Col
{
    /// <summary>col[r, colOffset + oy·OutW + ox] = padded image[c, oy·sh − ph + i, ox·sw − pw + j].</summary>
    public static void Pack(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> col, int ldCol, int colOffset)
    {
        CheckSpans(g, image.Length, col.Length, ldCol, colOffset);
        if (IsDense(g))
        {
            PackDense(g, image, col, ldCol, colOffset);
            return;
        }
        int outW = g.OutW, plane = g.OutputPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var src = image.Slice(c * g.InputPlane, g.InputPlane);
            for (int i = 0; i < g.KernelH; i++)
            {
                for (int j = 0; j < g.KernelW; j++)
                {
                    int row = (c * g.KernelH + i) * g.KernelW + j;
                    var dstRow = col.Slice(row * ldCol + colOffset, plane);
                    ValidRange(j, g.PadW, g.StrideW, g.Width, outW, out int lo, out int hi);
                    // Output rows whose tap row i lands inside the image; the rest are all padding.
                    ValidRange(i, g.PadH, g.StrideH, g.Height, g.OutH, out int oyLo, out int oyHi);
                    if (lo >= hi) oyHi = oyLo;
                    dstRow[..(oyLo * outW)].Clear();
                    dstRow[(oyHi * outW)..].Clear();
                    int width = hi - lo;
                    bool inner = lo == 0 && hi == outW; // no horizontal padding in this tap column
                    for (int oy = oyLo; oy < oyHi; oy++)
                    {
                        var dst = dstRow.Slice(oy * outW, outW);
                        int iy = oy * g.StrideH - g.PadH + i;
                        int x0 = iy * g.Width + lo * g.StrideW - g.PadW + j;
                        if (!inner)
                        {
                            dst[..lo].Clear();
                            dst[hi..].Clear();
                        }
                        if (g.StrideW == 1)
                        {
                            CopyShort(src.Slice(x0, width), dst.Slice(lo, width));
                        }
                        else
                        {
                            for (int ox = lo, x = x0; ox < hi; ox++, x += g.StrideW) dst[ox] = src[x];
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im: image[c, y, x] += every column entry that <see cref="Pack"/> would read from it.</summary>
    public static void Accumulate(in ConvolutionGeometry g, ReadOnlySpan<float> col, int ldCol, int colOffset, Span<float> image)
    {
        CheckSpans(g, image.Length, col.Length, ldCol, colOffset);
        if (IsDense(g))
        {
            AccumulateDense(g, col, ldCol, colOffset, image);
            return;
        }
        int outW = g.OutW, plane = g.OutputPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var dstImage = image.Slice(c * g.InputPlane, g.InputPlane);
            for (int i = 0; i < g.KernelH; i++)
            {
                for (int j = 0; j < g.KernelW; j++)
                {
                    int row = (c * g.KernelH + i) * g.KernelW + j;
                    var srcRow = col.Slice(row * ldCol + colOffset, plane);
                    ValidRange(j, g.PadW, g.StrideW, g.Width, outW, out int lo, out int hi);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadH + i;
                        if ((uint)iy >= (uint)g.Height) continue;
                        var src = srcRow.Slice(oy * outW + lo, hi - lo);
                        int x0 = iy * g.Width + lo * g.StrideW - g.PadW + j;
                        if (g.StrideW == 1)
                        {
                            AddShort(src, dstImage.Slice(x0, hi - lo));
                        }
                        else
                        {
                            for (int k = 0, x = x0; k < src.Length; k++, x += g.StrideW) dstImage[x] += src[k];
                        }
                    }
                }
            }
        }
    }

    // Stride 1 and no padding (LeNet, most 3×3/5×5 "valid" layers): every tap row of the column matrix is OutH
    // straight copies of OutW floats from the image, with no clipping. The general loop's per-row bookkeeping
    // (valid ranges, slices, clears) cost more than the copies themselves at LeNet's 8- and 24-wide rows.
    private static bool IsDense(in ConvolutionGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    private static unsafe void PackDense(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> col, int ldCol, int colOffset)
    {
        int w = g.Width, kh = g.KernelH, kw = g.KernelW, outH = g.OutH, outW = g.OutW, inPlane = g.InputPlane, channels = g.Channels;
        fixed (float* img = image, cols = col)
        {
            float* dst = cols + colOffset;
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++, dst += ldCol)
                    {
                        float* src = img + c * inPlane + i * w + j;
                        float* d = dst;
                        for (int oy = 0; oy < outH; oy++, src += w, d += outW) CopyRow(src, d, outW);
                    }
        }
    }

    private static unsafe void AccumulateDense(in ConvolutionGeometry g, ReadOnlySpan<float> col, int ldCol, int colOffset, Span<float> image)
    {
        int w = g.Width, kh = g.KernelH, kw = g.KernelW, outH = g.OutH, outW = g.OutW, inPlane = g.InputPlane, channels = g.Channels;
        fixed (float* img = image, cols = col)
        {
            float* src = cols + colOffset;
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++, src += ldCol)
                    {
                        float* dst = img + c * inPlane + i * w + j;
                        float* s = src;
                        for (int oy = 0; oy < outH; oy++, dst += w, s += outW) AddRow(s, dst, outW);
                    }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* src, float* dst, int n)
    {
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k <= n - 8; k += 8) Vector256.Store(Vector256.Load(src + k), dst + k);
            if (k <= n - 4)
            {
                Vector128.Store(Vector128.Load(src + k), dst + k);
                k += 4;
            }
        }
        for (; k < n; k++) dst[k] = src[k];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* src, float* dst, int n)
    {
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k <= n - 8; k += 8) Vector256.Store(Vector256.Load(dst + k) + Vector256.Load(src + k), dst + k);
            if (k <= n - 4)
            {
                Vector128.Store(Vector128.Load(dst + k) + Vector128.Load(src + k), dst + k);
                k += 4;
            }
        }
        for (; k < n; k++) dst[k] += src[k];
    }

    // Rows here are short (8 to 32 floats for LeNet/CIFAR maps) and there are PatchSize·OutH of them per image:
    // an inline vector loop beats Span.CopyTo / TensorPrimitives.Add, whose per-call overhead dominates at this size.
    private static void CopyShort(ReadOnlySpan<float> src, Span<float> dst)
    {
        int n = src.Length, i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
    }

    private static void AddShort(ReadOnlySpan<float> src, Span<float> dst)
    {
        int n = src.Length, i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
    }

    /// <summary>Output columns [lo, hi) whose tap j lands inside the unpadded row: 0 ≤ ox·s − pad + j &lt; width.</summary>
    private static void ValidRange(int j, int pad, int stride, int width, int outW, out int lo, out int hi)
    {
        int first = pad - j; // smallest ox·s allowed
        lo = first > 0 ? (first + stride - 1) / stride : 0;
        int last = width - 1 + pad - j; // largest ox·s allowed
        hi = last < 0 ? 0 : Math.Min(outW, last / stride + 1);
        if (lo > hi) lo = hi;
    }

    private static void CheckSpans(in ConvolutionGeometry g, int imageLength, int colLength, int ldCol, int colOffset)
    {
        if (imageLength < g.Channels * g.InputPlane)
            throw new ArgumentException($"Im2Col: image needs {g.Channels * g.InputPlane} elements (C={g.Channels}, {g.Height}x{g.Width}), got {imageLength}.");
        if (colOffset < 0 || colOffset + g.OutputPlane > ldCol)
            throw new ArgumentException($"Im2Col: columns [{colOffset}, {colOffset + g.OutputPlane}) do not fit the row stride {ldCol}.");
        long needed = (long)(g.PatchSize - 1) * ldCol + colOffset + g.OutputPlane;
        if (colLength < needed)
            throw new ArgumentException($"Im2Col: column matrix needs {needed} elements ({g.PatchSize} rows, stride {ldCol}), got {colLength}.");
    }
}
