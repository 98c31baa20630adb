using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

public static partial class Convolution
{
    [ThreadStatic] private static Vector256<float>[]? t_directAccumulators;

    /// <summary>
    /// Whether <see cref="DirectWeightGradient"/> handles this layer: stride 1, no padding (every tap reads a plain
    /// shifted window of the image) and a weight small enough that the packed GEMM's setup dominates (LeNet's first
    /// layer, 20×1×5×5; measured ~4× slower as a GEMM). Larger weights go through im2col + GEMM.
    /// </summary>
    private static bool UsesDirectWeightGradient(in ConvolutionGeometry g, int outChannels) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && outChannels * g.PatchSize <= SmallWeightGradient
        && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// dW (Cout, C·kh·kw) += Σ_n dY_n · im2col(x_n)ᵀ and db (Cout) += Σ_n row sums of dY_n in one pass over dY and
    /// without building the column matrix: tap (c, i, j) of output row oy is image row c, oy + i shifted by j.
    /// Blocks of 4 output channels × 5 taps keep 20 vector accumulators (plus 4 for the bias) in registers across
    /// an image; they are added to per-(co, tap) vector sums in memory, reduced to scalars once at the end. The
    /// order of every addition is fixed by the loops, so the result is the same on every call.
    /// </summary>
    private static unsafe void DirectWeightGradient(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput, Span<float> gradWeight, Span<float> gradBias)
    {
        int patch = g.PatchSize, plane = g.OutputPlane, inSize = g.Channels * g.InputPlane, outSize = outChannels * plane;
        int w = g.Width, outH = g.OutH, outW = g.OutW, kh = g.KernelH, kw = g.KernelW;
        bool wantW = !gradWeight.IsEmpty, wantB = !gradBias.IsEmpty;
        int accLength = outChannels * patch + outChannels;
        var accArray = t_directAccumulators is { } existing && existing.Length >= accLength
            ? existing : t_directAccumulators = new Vector256<float>[accLength];
        var acc = accArray.AsSpan(0, accLength);
        acc.Clear();
        Span<int> tapOffset = stackalloc int[patch];
        for (int c = 0, r = 0; c < g.Channels; c++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++, r++) tapOffset[r] = c * g.InputPlane + i * w + j;

        fixed (float* x = input, dy = gradOutput)
        fixed (Vector256<float>* sums = acc)
        fixed (int* taps = tapOffset)
        {
            Vector256<float>* biasSums = sums + outChannels * patch;
            for (int n = 0; n < g.Batch; n++)
            {
                float* xn = x + (long)n * inSize, dyn = dy + (long)n * outSize;
                int co = 0;
                for (; co + 4 <= outChannels; co += 4)
                {
                    int r = 0;
                    if (wantW)
                    {
                        for (; r + 5 <= patch; r += 5)
                            Block4x5(xn, dyn + co * plane, plane, w, outH, outW, taps + r, sums + co * patch + r, patch, r == 0 && wantB ? biasSums + co : null);
                    }
                    for (int q = co; q < co + 4; q++)
                    {
                        if (wantW)
                            for (int rr = r; rr < patch; rr++) Single(xn, dyn + q * plane, w, outH, outW, taps[rr], sums + q * patch + rr);
                        if (wantB && (r == 0 || !wantW)) Single(xn, dyn + q * plane, w, outH, outW, -1, biasSums + q);
                    }
                }
                for (; co < outChannels; co++)
                {
                    if (wantW)
                        for (int rr = 0; rr < patch; rr++) Single(xn, dyn + co * plane, w, outH, outW, taps[rr], sums + co * patch + rr);
                    if (wantB) Single(xn, dyn + co * plane, w, outH, outW, -1, biasSums + co);
                }
            }
            if (wantW)
                for (int k = 0; k < outChannels * patch; k++) gradWeight[k] += Vector256.Sum(sums[k]);
            if (wantB)
                for (int k = 0; k < outChannels; k++) gradBias[k] += Vector256.Sum(biasSums[k]);
        }
    }

    /// <summary>
    /// sums[q·ld + t] += Σ over the image of dY row (co+q) × tap t's shifted window, for 4 channels × 5 taps, and
    /// bias[q] += Σ dY row (co+q) when <paramref name="bias"/> is given. Columns past the last multiple of 8 go into lane 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block4x5(float* x, float* dy, int plane, int w, int outH, int outW, int* taps,
        Vector256<float>* sums, int ld, Vector256<float>* bias)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int t0 = taps[0], t1 = taps[1], t2 = taps[2], t3 = taps[3], t4 = taps[4];
        int full = outW & ~7;
        for (int oy = 0; oy < outH; oy++)
        {
            float* d0 = dy + oy * outW, d1 = d0 + plane, d2 = d1 + plane, d3 = d2 + plane;
            float* xr = x + oy * w;
            for (int ox = 0; ox < full; ox += 8)
            {
                var y0 = Vector256.Load(d0 + ox);
                var y1 = Vector256.Load(d1 + ox);
                var y2 = Vector256.Load(d2 + ox);
                var y3 = Vector256.Load(d3 + ox);
                var x0 = Vector256.Load(xr + t0 + ox);
                var x1 = Vector256.Load(xr + t1 + ox);
                var x2 = Vector256.Load(xr + t2 + ox);
                var x3 = Vector256.Load(xr + t3 + ox);
                var x4 = Vector256.Load(xr + t4 + ox);
                a00 = Vector256.FusedMultiplyAdd(y0, x0, a00); a01 = Vector256.FusedMultiplyAdd(y0, x1, a01);
                a02 = Vector256.FusedMultiplyAdd(y0, x2, a02); a03 = Vector256.FusedMultiplyAdd(y0, x3, a03);
                a04 = Vector256.FusedMultiplyAdd(y0, x4, a04);
                a10 = Vector256.FusedMultiplyAdd(y1, x0, a10); a11 = Vector256.FusedMultiplyAdd(y1, x1, a11);
                a12 = Vector256.FusedMultiplyAdd(y1, x2, a12); a13 = Vector256.FusedMultiplyAdd(y1, x3, a13);
                a14 = Vector256.FusedMultiplyAdd(y1, x4, a14);
                a20 = Vector256.FusedMultiplyAdd(y2, x0, a20); a21 = Vector256.FusedMultiplyAdd(y2, x1, a21);
                a22 = Vector256.FusedMultiplyAdd(y2, x2, a22); a23 = Vector256.FusedMultiplyAdd(y2, x3, a23);
                a24 = Vector256.FusedMultiplyAdd(y2, x4, a24);
                a30 = Vector256.FusedMultiplyAdd(y3, x0, a30); a31 = Vector256.FusedMultiplyAdd(y3, x1, a31);
                a32 = Vector256.FusedMultiplyAdd(y3, x2, a32); a33 = Vector256.FusedMultiplyAdd(y3, x3, a33);
                a34 = Vector256.FusedMultiplyAdd(y3, x4, a34);
                b0 += y0; b1 += y1; b2 += y2; b3 += y3;
            }
        }
        sums[0] += a00; sums[1] += a01; sums[2] += a02; sums[3] += a03; sums[4] += a04;
        sums += ld;
        sums[0] += a10; sums[1] += a11; sums[2] += a12; sums[3] += a13; sums[4] += a14;
        sums += ld;
        sums[0] += a20; sums[1] += a21; sums[2] += a22; sums[3] += a23; sums[4] += a24;
        sums += ld;
        sums[0] += a30; sums[1] += a31; sums[2] += a32; sums[3] += a33; sums[4] += a34;
        sums -= 3 * ld;
        if (bias != null)
        {
            bias[0] += b0; bias[1] += b1; bias[2] += b2; bias[3] += b3;
        }
        if (full == outW) return;
        // Columns [full, outW): scalar, into lane 0 of the same sums.
        for (int q = 0; q < 4; q++)
        {
            float* d = dy + q * plane;
            for (int t = 0; t < 5; t++)
            {
                float s = 0f;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = full; ox < outW; ox++) s += d[oy * outW + ox] * x[oy * w + taps[t] + ox];
                ((float*)(sums + q * ld + t))[0] += s;
            }
            if (bias != null)
            {
                float s = 0f;
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = full; ox < outW; ox++) s += d[oy * outW + ox];
                ((float*)(bias + q))[0] += s;
            }
        }
    }

    /// <summary>One (channel, tap) pair: *sum += Σ dY row × tap window; tap −1 sums dY alone (the bias).</summary>
    private static unsafe void Single(float* x, float* dy, int w, int outH, int outW, int tap, Vector256<float>* sum)
    {
        var a = Vector256<float>.Zero;
        float tail = 0f;
        int full = outW & ~7;
        for (int oy = 0; oy < outH; oy++)
        {
            float* d = dy + oy * outW, xr = x + oy * w + tap;
            int ox = 0;
            if (tap < 0)
            {
                for (; ox < full; ox += 8) a += Vector256.Load(d + ox);
                for (; ox < outW; ox++) tail += d[ox];
            }
            else
            {
                for (; ox < full; ox += 8) a = Vector256.FusedMultiplyAdd(Vector256.Load(d + ox), Vector256.Load(xr + ox), a);
                for (; ox < outW; ox++) tail += d[ox] * xr[ox];
            }
        }
        *sum += a;
        ((float*)sum)[0] += tail;
    }
}
