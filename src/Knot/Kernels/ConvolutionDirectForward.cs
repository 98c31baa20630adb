using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

public static partial class Convolution
{
    // A patch this short (LeNet's first layer: 1×5×5) makes im2col + GEMM a K = 25 product whose packing and tile
    // stores cost more than the arithmetic; the direct loop below reads the image in place instead.
    private const int DirectForwardMaxPatch = 64;

    private static bool UsesDirectForward(in ConvolutionGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && g.PatchSize <= DirectForwardMaxPatch
        && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// output = conv(input, weight) + bias for stride 1 without padding, straight from the image: for 4 output
    /// channels and 16 output columns of one row, 8 vector accumulators start at the bias and take one FMA per tap
    /// (c, i, j) with the image row c, oy + i shifted by j. Each output element's taps are added in the same order
    /// whatever the batch split, so results do not depend on the thread count.
    /// </summary>
    private static unsafe void DirectForward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        int patch = g.PatchSize, plane = g.OutputPlane, inSize = g.Channels * g.InputPlane, outSize = outChannels * plane;
        int w = g.Width, outH = g.OutH, outW = g.OutW;
        Span<int> tapOffset = stackalloc int[patch];
        for (int c = 0, r = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, r++) tapOffset[r] = c * g.InputPlane + i * w + j;
        // Without a bias the accumulators start at zero (a tiny stack buffer; larger layers are not on this path's hot loop).
        Span<float> zeros = !bias.IsEmpty ? default : outChannels <= 1024 ? stackalloc float[outChannels] : new float[outChannels];
        zeros.Clear();

        fixed (float* x = input, wt = weight, given = bias, none = zeros, y = output)
        fixed (int* taps = tapOffset)
        {
            float* b = bias.IsEmpty ? none : given;
            for (int n = 0; n < g.Batch; n++)
            {
                float* xn = x + (long)n * inSize, yn = y + (long)n * outSize;
                int co = 0;
                for (; co + 4 <= outChannels; co += 4)
                    for (int oy = 0; oy < outH; oy++)
                        Row4(xn + oy * w, wt + co * patch, patch, taps, b + co, yn + co * plane + oy * outW, plane, outW);
                for (; co < outChannels; co++)
                    for (int oy = 0; oy < outH; oy++)
                        Row1(xn + oy * w, wt + co * patch, patch, taps, b[co], yn + co * plane + oy * outW, outW);
            }
        }
    }

    /// <summary>One output row of 4 channels (row stride <paramref name="plane"/> between channels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row4(float* xr, float* wt, int patch, int* taps, float* b, float* y, int plane, int outW)
    {
        float* w0 = wt, w1 = wt + patch, w2 = w1 + patch, w3 = w2 + patch;
        int ox = 0;
        for (; ox + 16 <= outW; ox += 16)
        {
            Vector256<float> a0 = Vector256.Create(b[0]), a1 = Vector256.Create(b[1]), a2 = Vector256.Create(b[2]), a3 = Vector256.Create(b[3]);
            Vector256<float> c0 = a0, c1 = a1, c2 = a2, c3 = a3;
            for (int r = 0; r < patch; r++)
            {
                float* s = xr + taps[r] + ox;
                var u = Vector256.Load(s);
                var v = Vector256.Load(s + 8);
                var k0 = Vector256.Create(w0[r]);
                a0 = Vector256.FusedMultiplyAdd(k0, u, a0); c0 = Vector256.FusedMultiplyAdd(k0, v, c0);
                var k1 = Vector256.Create(w1[r]);
                a1 = Vector256.FusedMultiplyAdd(k1, u, a1); c1 = Vector256.FusedMultiplyAdd(k1, v, c1);
                var k2 = Vector256.Create(w2[r]);
                a2 = Vector256.FusedMultiplyAdd(k2, u, a2); c2 = Vector256.FusedMultiplyAdd(k2, v, c2);
                var k3 = Vector256.Create(w3[r]);
                a3 = Vector256.FusedMultiplyAdd(k3, u, a3); c3 = Vector256.FusedMultiplyAdd(k3, v, c3);
            }
            a0.Store(y + ox); c0.Store(y + ox + 8);
            a1.Store(y + plane + ox); c1.Store(y + plane + ox + 8);
            a2.Store(y + 2 * plane + ox); c2.Store(y + 2 * plane + ox + 8);
            a3.Store(y + 3 * plane + ox); c3.Store(y + 3 * plane + ox + 8);
        }
        for (; ox + 8 <= outW; ox += 8)
        {
            Vector256<float> a0 = Vector256.Create(b[0]), a1 = Vector256.Create(b[1]), a2 = Vector256.Create(b[2]), a3 = Vector256.Create(b[3]);
            for (int r = 0; r < patch; r++)
            {
                var u = Vector256.Load(xr + taps[r] + ox);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(w0[r]), u, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(w1[r]), u, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Create(w2[r]), u, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Create(w3[r]), u, a3);
            }
            a0.Store(y + ox); a1.Store(y + plane + ox); a2.Store(y + 2 * plane + ox); a3.Store(y + 3 * plane + ox);
        }
        for (; ox < outW; ox++)
        {
            for (int q = 0; q < 4; q++)
            {
                float* wq = wt + q * patch;
                float acc = b[q];
                for (int r = 0; r < patch; r++) acc = MathF.FusedMultiplyAdd(wq[r], xr[taps[r] + ox], acc);
                y[q * plane + ox] = acc;
            }
        }
    }

    /// <summary>One output row of one channel (the channels left over after blocks of 4).</summary>
    private static unsafe void Row1(float* xr, float* wq, int patch, int* taps, float bias, float* y, int outW)
    {
        int ox = 0;
        for (; ox + 8 <= outW; ox += 8)
        {
            var a = Vector256.Create(bias);
            for (int r = 0; r < patch; r++) a = Vector256.FusedMultiplyAdd(Vector256.Create(wq[r]), Vector256.Load(xr + taps[r] + ox), a);
            a.Store(y + ox);
        }
        for (; ox < outW; ox++)
        {
            float acc = bias;
            for (int r = 0; r < patch; r++) acc = MathF.FusedMultiplyAdd(wq[r], xr[taps[r] + ox], acc);
            y[ox] = acc;
        }
    }
}
