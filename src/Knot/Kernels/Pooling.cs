using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Kernels;

/// <summary>
/// Max, average and global average pooling over NCHW tensors. Each of the N·C planes is pooled independently
/// with the window of a <see cref="ConvolutionGeometry"/> (its Channels is C). Padding counts as −∞ for max
/// pooling and as zeros that are included in the divisor for average pooling (PyTorch's defaults).
/// </summary>
public static class Pooling
{
    /// <summary>
    /// Max pooling. <paramref name="argmax"/> receives, per output element, the index (iy·W + ix) of the winning
    /// input inside its plane (the first one on ties; a NaN wins and propagates, like PyTorch).
    /// </summary>
    public static void MaxForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        CheckSpans(g, input.Length, output.Length, "MaxPool");
        if (!argmax.IsEmpty && argmax.Length != output.Length)
            throw new ArgumentException($"MaxPool: argmax needs {output.Length} elements, got {argmax.Length}.");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        bool twoByTwo = g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0;
        for (int p = 0; p < planes; p++)
        {
            var x = input.Slice(p * inPlane, inPlane);
            var y = output.Slice(p * outPlane, outPlane);
            var idx = argmax.IsEmpty ? default : argmax.Slice(p * outPlane, outPlane);
            if (twoByTwo) MaxPlane2x2(g, x, y, idx);
            else MaxPlane(g, x, y, idx);
        }
    }

    // The common 2×2/2 case (LeNet, VGG) without the generic window bookkeeping or bounds checks: the caller's
    // slices guarantee rows 2·oy and 2·oy+1 and columns up to 2·OutW−1 exist. A NaN always wins (and then stays).
    private static void MaxPlane2x2(in ConvolutionGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> idx)
    {
        int w = g.Width, outH = g.OutH, outW = g.OutW;
        bool keep = !idx.IsEmpty;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref int ir = ref MemoryMarshal.GetReference(idx);
        for (int oy = 0; oy < outH; oy++)
        {
            int r0 = 2 * oy * w, o = oy * outW;
            int ox = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // Eight outputs at a time: split each input row pair into even and odd columns, then take the max
                // of the four candidates with selects, carrying the winner's index along. Branch-free: on real
                // activations which candidate wins is a coin toss, and the scalar loop's mispredictions cost ~3x.
                var even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
                var odd = Vector256.Create(1, 3, 5, 7, 1, 3, 5, 7);
                var lane = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                for (; ox <= outW - 8; ox += 8)
                {
                    int i0 = r0 + 2 * ox;
                    var a0 = Vector256.LoadUnsafe(ref xr, (nuint)i0);
                    var a1 = Vector256.LoadUnsafe(ref xr, (nuint)(i0 + 8));
                    var b0 = Vector256.LoadUnsafe(ref xr, (nuint)(i0 + w));
                    var b1 = Vector256.LoadUnsafe(ref xr, (nuint)(i0 + w + 8));
                    var v = Vector256.Create(Vector256.Shuffle(a0, even).GetLower(), Vector256.Shuffle(a1, even).GetLower());
                    var cand1 = Vector256.Create(Vector256.Shuffle(a0, odd).GetLower(), Vector256.Shuffle(a1, odd).GetLower());
                    var cand2 = Vector256.Create(Vector256.Shuffle(b0, even).GetLower(), Vector256.Shuffle(b1, even).GetLower());
                    var cand3 = Vector256.Create(Vector256.Shuffle(b0, odd).GetLower(), Vector256.Shuffle(b1, odd).GetLower());
                    var at = Vector256.Create(i0) + lane;
                    Take(ref v, ref at, cand1, Vector256.Create(i0 + 1) + lane);
                    Take(ref v, ref at, cand2, Vector256.Create(i0 + w) + lane);
                    Take(ref v, ref at, cand3, Vector256.Create(i0 + w + 1) + lane);
                    v.StoreUnsafe(ref yr, (nuint)(o + ox));
                    if (keep) at.StoreUnsafe(ref ir, (nuint)(o + ox));
                }
            }
            for (; ox < outW; ox++)
            {
                int i0 = r0 + 2 * ox, i2 = i0 + w;
                float v = Unsafe.Add(ref xr, i0), a = Unsafe.Add(ref xr, i0 + 1);
                float b = Unsafe.Add(ref xr, i2), c = Unsafe.Add(ref xr, i2 + 1);
                int best = i0;
                bool ta = a > v | float.IsNaN(a);
                v = ta ? a : v; best = ta ? i0 + 1 : best;
                bool tb = b > v | float.IsNaN(b);
                v = tb ? b : v; best = tb ? i2 : best;
                bool tc = c > v | float.IsNaN(c);
                v = tc ? c : v; best = tc ? i2 + 1 : best;
                Unsafe.Add(ref yr, o + ox) = v;
                if (keep) Unsafe.Add(ref ir, o + ox) = best;
            }
        }
    }

    /// <summary>Where the candidate beats the current max (or is NaN, which then sticks), take it and its index.</summary>
    private static void Take(ref Vector256<float> v, ref Vector256<int> at, Vector256<float> candidate, Vector256<int> candidateAt)
    {
        var wins = Vector256.GreaterThan(candidate, v) | ~Vector256.Equals(candidate, candidate);
        v = Vector256.ConditionalSelect(wins, candidate, v);
        at = Vector256.ConditionalSelect(wins.AsInt32(), candidateAt, at);
    }

    private static void MaxPlane(in ConvolutionGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> idx)
    {
        for (int oy = 0; oy < g.OutH; oy++)
        {
            int y0 = Math.Max(0, oy * g.StrideH - g.PadH), y1 = Math.Min(g.Height, oy * g.StrideH - g.PadH + g.KernelH);
            for (int ox = 0; ox < g.OutW; ox++)
            {
                int x0 = Math.Max(0, ox * g.StrideW - g.PadW), x1 = Math.Min(g.Width, ox * g.StrideW - g.PadW + g.KernelW);
                float best = float.NegativeInfinity;
                int at = -1;
                for (int iy = y0; iy < y1 && !float.IsNaN(best); iy++)
                {
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = x[iy * g.Width + ix];
                        if (v > best || at < 0 || float.IsNaN(v))
                        {
                            best = v;
                            at = iy * g.Width + ix;
                            if (float.IsNaN(v)) break;
                        }
                    }
                }
                y[oy * g.OutW + ox] = best;
                if (!idx.IsEmpty) idx[oy * g.OutW + ox] = at;
            }
        }
    }

    /// <summary>gradInput[argmax] += gradOutput, plane by plane.</summary>
    public static void MaxBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput)
    {
        CheckSpans(g, gradInput.Length, gradOutput.Length, "MaxPool backward");
        if (argmax.Length != gradOutput.Length)
            throw new ArgumentException($"MaxPool backward: argmax needs {gradOutput.Length} elements, got {argmax.Length}.");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        for (int p = 0; p < planes; p++)
        {
            var dx = gradInput.Slice(p * inPlane, inPlane);
            int o = p * outPlane;
            for (int k = 0; k < outPlane; k++)
            {
                int at = argmax[o + k];
                if (at >= 0) dx[at] += gradOutput[o + k];
            }
        }
    }

    /// <summary>Average pooling; the divisor is always kh·kw (padding included, PyTorch's count_include_pad=True).</summary>
    public static void AvgForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckSpans(g, input.Length, output.Length, "AvgPool");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int p = 0; p < planes; p++)
        {
            var x = input.Slice(p * inPlane, inPlane);
            var y = output.Slice(p * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int y0 = Math.Max(0, oy * g.StrideH - g.PadH), y1 = Math.Min(g.Height, oy * g.StrideH - g.PadH + g.KernelH);
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int x0 = Math.Max(0, ox * g.StrideW - g.PadW), x1 = Math.Min(g.Width, ox * g.StrideW - g.PadW + g.KernelW);
                    float sum = 0f;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sum += x[iy * g.Width + ix];
                    y[oy * g.OutW + ox] = sum * scale;
                }
            }
        }
    }

    /// <summary>gradInput += each output gradient / (kh·kw) spread over its window.</summary>
    public static void AvgBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        CheckSpans(g, gradInput.Length, gradOutput.Length, "AvgPool backward");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int p = 0; p < planes; p++)
        {
            var dx = gradInput.Slice(p * inPlane, inPlane);
            var dy = gradOutput.Slice(p * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int y0 = Math.Max(0, oy * g.StrideH - g.PadH), y1 = Math.Min(g.Height, oy * g.StrideH - g.PadH + g.KernelH);
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int x0 = Math.Max(0, ox * g.StrideW - g.PadW), x1 = Math.Min(g.Width, ox * g.StrideW - g.PadW + g.KernelW);
                    float share = dy[oy * g.OutW + ox] * scale;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) dx[iy * g.Width + ix] += share;
                }
            }
        }
    }

    /// <summary>output[p] = mean of plane p, for <paramref name="planes"/> planes of <paramref name="planeSize"/> values.</summary>
    public static void GlobalAvgForward(int planes, int planeSize, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckGlobal(planes, planeSize, input.Length, output.Length);
        float scale = 1f / planeSize;
        for (int p = 0; p < planes; p++) output[p] = TensorPrimitives.Sum(input.Slice(p * planeSize, planeSize)) * scale;
    }

    /// <summary>gradInput[plane p] += gradOutput[p] / planeSize.</summary>
    public static void GlobalAvgBackward(int planes, int planeSize, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        CheckGlobal(planes, planeSize, gradInput.Length, gradOutput.Length);
        float scale = 1f / planeSize;
        for (int p = 0; p < planes; p++)
        {
            var dx = gradInput.Slice(p * planeSize, planeSize);
            TensorPrimitives.Add(dx, gradOutput[p] * scale, dx);
        }
    }

    private static void CheckSpans(in ConvolutionGeometry g, int inputLength, int outputLength, string op)
    {
        int inSize = g.Batch * g.Channels * g.InputPlane, outSize = g.Batch * g.Channels * g.OutputPlane;
        if (inputLength != inSize)
            throw new ArgumentException($"{op}: input needs {inSize} elements (N={g.Batch}, C={g.Channels}, {g.Height}x{g.Width}), got {inputLength}.");
        if (outputLength != outSize)
            throw new ArgumentException($"{op}: output needs {outSize} elements (N={g.Batch}, C={g.Channels}, {g.OutH}x{g.OutW}), got {outputLength}.");
    }

    private static void CheckGlobal(int planes, int planeSize, int inputLength, int outputLength)
    {
        if (planes < 1 || planeSize < 1) throw new ArgumentException($"GlobalAvgPool: planes and plane size must be >= 1, got {planes} and {planeSize}.");
        if (inputLength != planes * planeSize) throw new ArgumentException($"GlobalAvgPool: input needs {planes * planeSize} elements, got {inputLength}.");
        if (outputLength != planes) throw new ArgumentException($"GlobalAvgPool: output needs {planes} elements, got {outputLength}.");
    }
}
