using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Knot.Kernels;

/// <summary>The instruction set max pooling's vector paths use: the best available, or one a test forces.</summary>
internal enum MaxPoolPath
{
    Scalar,
    Vector256,
    Vector512,
}

public static partial class Pooling
{
    /// <summary>The fastest max-pooling path this CPU runs (Vector512 needs AVX-512F/VL for its two-source permutes).</summary>
    internal static MaxPoolPath BestMaxPoolPath { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.VL.IsSupported ? MaxPoolPath.Vector512
        : Vector256.IsHardwareAccelerated ? MaxPoolPath.Vector256
        : MaxPoolPath.Scalar;

    // Below this many input elements a parallel loop costs more than it saves (LeNet's pool2 has 410k, pool1 1.5M).
    private const int ParallelMinElements = 1 << 16;

    /// <summary>
    /// Max pooling. <paramref name="argmax"/> (empty, or one entry per output) receives the index (iy·W + ix) of
    /// the winning input inside its plane: the first maximum in row-major window order, except that a NaN always
    /// wins (a later NaN over an earlier one), like PyTorch. Planes are split over <see cref="Parallelism.ThreadCount"/>
    /// threads when the input is large; every output is computed the same way whatever the split.
    /// </summary>
    public static void MaxForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax) =>
        MaxForward(g, input, output, argmax, BestMaxPoolPath, AutomaticParts(g));

    /// <summary><see cref="MaxForward(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float}, Span{int})"/> on a given path and plane split (tests).</summary>
    internal static unsafe void MaxForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax,
        MaxPoolPath path, int parts)
    {
        CheckSpans(g, input.Length, output.Length, "MaxPool");
        if (!argmax.IsEmpty && argmax.Length != output.Length)
            throw new ArgumentException($"MaxPool: argmax needs {output.Length} elements, got {argmax.Length}.");
        if (path > BestMaxPoolPath) throw new PlatformNotSupportedException($"MaxPool: the {path} path is not supported on this CPU.");
        int planes = g.Batch * g.Channels;
        parts = Math.Clamp(parts, 1, planes);
        fixed (float* x = input, y = output)
        fixed (int* idx = argmax)
        {
            var body = new MaxForwardPart { G = g, Path = path, Parts = parts, Planes = planes, Input = x, Output = y, ArgMax = idx };
            if (parts == 1) body.Invoke(0);
            else Parallelism.For(parts, body);
        }
    }

    private static int AutomaticParts(in ConvolutionGeometry g)
    {
        long elements = (long)g.Batch * g.Channels * g.InputPlane;
        return elements < ParallelMinElements ? 1 : Parallelism.ThreadCount;
    }

    /// <summary>One contiguous range of planes (pointers pinned by the caller for the whole loop).</summary>
    private unsafe struct MaxForwardPart : IParallelBody
    {
        public ConvolutionGeometry G;
        public MaxPoolPath Path;
        public int Parts, Planes;
        public float* Input, Output;
        public int* ArgMax;

        public readonly void Invoke(int part)
        {
            var (p0, p1) = Parallelism.Partition(Planes, Parts, part);
            int inPlane = G.InputPlane, outPlane = G.OutputPlane;
            bool twoByTwo = G.KernelH == 2 && G.KernelW == 2 && G.StrideH == 2 && G.StrideW == 2 && G.PadH == 0 && G.PadW == 0;
            if (twoByTwo)
            {
                MaxPlanes2x2(Input, Output, ArgMax, p0, p1, G.Width, G.OutH, G.OutW, inPlane, outPlane, Path);
                return;
            }
            for (int p = p0; p < p1; p++)
            {
                MaxPlane(G, new ReadOnlySpan<float>(Input + (long)p * inPlane, inPlane), new Span<float>(Output + (long)p * outPlane, outPlane),
                    ArgMax == null ? default : new Span<int>(ArgMax + (long)p * outPlane, outPlane));
            }
        }
    }

    // The common 2×2/2 case (LeNet, VGG). Branch-free: on real activations which candidate wins is a coin toss, and
    // a branchy loop's mispredictions cost several times the arithmetic. The vector paths take the max of each
    // horizontal pair first (ties to the left), then of the two rows (ties to the top): that is exactly the first
    // maximum in row-major order, and a NaN, which beats everything, still lets a later NaN replace it.
    private static unsafe void MaxPlanes2x2(float* x, float* y, int* idx, int p0, int p1, int w, int outH, int outW,
        int inPlane, int outPlane, MaxPoolPath path)
    {
        bool keep = idx != null;
        for (int p = p0; p < p1; p++)
        {
            float* xp = x + (long)p * inPlane, yp = y + (long)p * outPlane;
            int* ip = keep ? idx + (long)p * outPlane : null;
            for (int oy = 0; oy < outH; oy++)
            {
                int top = 2 * oy * w, o = oy * outW, ox = 0;
                if (path == MaxPoolPath.Vector512)
                {
                    for (; ox <= outW - 8; ox += 8) Max8Vector512(xp, yp + o + ox, keep ? ip + o + ox : null, top + 2 * ox, w);
                    if (ox <= outW - 4)
                    {
                        Max4Vector256(xp, yp + o + ox, keep ? ip + o + ox : null, top + 2 * ox, w);
                        ox += 4;
                    }
                }
                else if (path == MaxPoolPath.Vector256)
                {
                    for (; ox <= outW - 8; ox += 8) Max8Vector256(xp, yp + o + ox, keep ? ip + o + ox : null, top + 2 * ox, w);
                }
                for (; ox < outW; ox++)
                {
                    int i0 = top + 2 * ox, i2 = i0 + w;
                    float v = xp[i0], a = xp[i0 + 1], b = xp[i2], c = xp[i2 + 1];
                    int best = i0;
                    bool ta = a > v | float.IsNaN(a);
                    v = ta ? a : v; best = ta ? i0 + 1 : best;
                    bool tb = b > v | float.IsNaN(b);
                    v = tb ? b : v; best = tb ? i2 : best;
                    bool tc = c > v | float.IsNaN(c);
                    v = tc ? c : v; best = tc ? i2 + 1 : best;
                    yp[o + ox] = v;
                    if (keep) ip[o + ox] = best;
                }
            }
        }
    }

    /// <summary>
    /// Eight outputs from 16 columns of the row pair starting at plane index <paramref name="at"/>: one two-source
    /// permute gathers the even columns of both rows (top in lanes 0–7, bottom in 8–15), another the odd ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Max8Vector512(float* xp, float* y, int* idx, int at, int w)
    {
        var t = Vector512.Load(xp + at);
        var b = Vector512.Load(xp + at + w);
        var evenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var oddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        var even = Avx512F.PermuteVar16x32x2(t, evenLanes, b);
        var odd = Avx512F.PermuteVar16x32x2(t, oddLanes, b);
        var oddWins = Vector512.GreaterThan(odd, even) | ~Vector512.Equals(odd, odd);
        var h = Vector512.ConditionalSelect(oddWins, odd, even);
        var top = h.GetLower();
        var bottom = h.GetUpper();
        var bottomWins = Vector256.GreaterThan(bottom, top) | ~Vector256.Equals(bottom, bottom);
        Vector256.ConditionalSelect(bottomWins, bottom, top).Store(y);
        if (idx == null) return;
        // Index of each pair's left column, top row then bottom row; an odd win adds 1 (the mask is −1).
        var left = Vector512.Create(Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14), Vector256.Create(w) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14));
        var hi = Vector512.Create(at) + left - oddWins.AsInt32();
        Vector256.ConditionalSelect(bottomWins.AsInt32(), hi.GetUpper(), hi.GetLower()).Store(idx);
    }

    /// <summary>Four outputs from 8 columns of the row pair (the tail of a row, or a whole row of LeNet's 4-wide pool2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Max4Vector256(float* xp, float* y, int* idx, int at, int w)
    {
        var t = Vector256.Load(xp + at);
        var b = Vector256.Load(xp + at + w);
        var even = Avx512F.VL.PermuteVar8x32x2(t, Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14), b);
        var odd = Avx512F.VL.PermuteVar8x32x2(t, Vector256.Create(1, 3, 5, 7, 9, 11, 13, 15), b);
        var oddWins = Vector256.GreaterThan(odd, even) | ~Vector256.Equals(odd, odd);
        var h = Vector256.ConditionalSelect(oddWins, odd, even);
        var top = h.GetLower();
        var bottom = h.GetUpper();
        var bottomWins = Vector128.GreaterThan(bottom, top) | ~Vector128.Equals(bottom, bottom);
        Vector128.ConditionalSelect(bottomWins, bottom, top).Store(y);
        if (idx == null) return;
        var left = Vector256.Create(Vector128.Create(0, 2, 4, 6), Vector128.Create(w) + Vector128.Create(0, 2, 4, 6));
        var hi = Vector256.Create(at) + left - oddWins.AsInt32();
        Vector128.ConditionalSelect(bottomWins.AsInt32(), hi.GetUpper(), hi.GetLower()).Store(idx);
    }

    /// <summary>Eight outputs without AVX-512: split each row into even and odd columns, then four candidates in row-major order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Max8Vector256(float* xp, float* y, int* idx, int at, int w)
    {
        var even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        var odd = Vector256.Create(1, 3, 5, 7, 1, 3, 5, 7);
        var lane = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var a0 = Vector256.Load(xp + at);
        var a1 = Vector256.Load(xp + at + 8);
        var b0 = Vector256.Load(xp + at + w);
        var b1 = Vector256.Load(xp + at + w + 8);
        var v = Vector256.Create(Vector256.Shuffle(a0, even).GetLower(), Vector256.Shuffle(a1, even).GetLower());
        var cand1 = Vector256.Create(Vector256.Shuffle(a0, odd).GetLower(), Vector256.Shuffle(a1, odd).GetLower());
        var cand2 = Vector256.Create(Vector256.Shuffle(b0, even).GetLower(), Vector256.Shuffle(b1, even).GetLower());
        var cand3 = Vector256.Create(Vector256.Shuffle(b0, odd).GetLower(), Vector256.Shuffle(b1, odd).GetLower());
        var best = Vector256.Create(at) + lane;
        Take(ref v, ref best, cand1, Vector256.Create(at + 1) + lane);
        Take(ref v, ref best, cand2, Vector256.Create(at + w) + lane);
        Take(ref v, ref best, cand3, Vector256.Create(at + w + 1) + lane);
        v.Store(y);
        if (idx != null) best.Store(idx);
    }

    /// <summary>Where the candidate beats the current max (or is NaN, which then sticks), take it and its index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
                for (int iy = y0; iy < y1; iy++)
                {
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = x[iy * g.Width + ix];
                        if (v > best || at < 0 || float.IsNaN(v))
                        {
                            best = v;
                            at = iy * g.Width + ix;
                        }
                    }
                }
                y[oy * g.OutW + ox] = best;
                if (!idx.IsEmpty) idx[oy * g.OutW + ox] = at;
            }
        }
    }

    /// <summary>gradInput[argmax] += gradOutput, plane by plane; planes are split over threads like the forward pass.</summary>
    public static void MaxBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput) =>
        MaxBackward(g, gradOutput, argmax, gradInput, AutomaticParts(g));

    /// <summary>
    /// gradInput = the scatter of gradOutput onto each output's arg-max, zeros elsewhere: every element of gradInput
    /// is written, so it need not be cleared first (a fresh gradient buffer). One pass instead of clear + scatter; the
    /// 2×2/2 case writes both input rows of each window with vector selects.
    /// </summary>
    public static void MaxBackwardOverwrite(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput) =>
        MaxBackward(g, gradOutput, argmax, gradInput, AutomaticParts(g), overwrite: true, BestMaxPoolPath);

    internal static void MaxBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput, int parts) =>
        MaxBackward(g, gradOutput, argmax, gradInput, parts, overwrite: false, MaxPoolPath.Scalar);

    internal static unsafe void MaxBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput,
        int parts, bool overwrite, MaxPoolPath path)
    {
        CheckSpans(g, gradInput.Length, gradOutput.Length, "MaxPool backward");
        if (argmax.Length != gradOutput.Length)
            throw new ArgumentException($"MaxPool backward: argmax needs {gradOutput.Length} elements, got {argmax.Length}.");
        if (path > BestMaxPoolPath) throw new PlatformNotSupportedException($"MaxPool: the {path} path is not supported on this CPU.");
        int planes = g.Batch * g.Channels;
        parts = Math.Clamp(parts, 1, planes);
        bool twoByTwo = g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0;
        fixed (float* dy = gradOutput, dx = gradInput)
        fixed (int* idx = argmax)
        {
            var body = new MaxBackwardPart
            {
                Parts = parts, Planes = planes, InPlane = g.InputPlane, OutPlane = g.OutputPlane, GradOutput = dy, GradInput = dx, ArgMax = idx,
                Overwrite = overwrite, Dense2x2 = overwrite && twoByTwo && path == MaxPoolPath.Vector512, Width = g.Width, OutH = g.OutH, OutW = g.OutW,
            };
            if (parts == 1) body.Invoke(0);
            else Parallelism.For(parts, body);
        }
    }

    private unsafe struct MaxBackwardPart : IParallelBody
    {
        public int Parts, Planes, InPlane, OutPlane, Width, OutH, OutW;
        public bool Overwrite, Dense2x2;
        public float* GradOutput, GradInput;
        public int* ArgMax;

        public readonly void Invoke(int part)
        {
            var (p0, p1) = Parallelism.Partition(Planes, Parts, part);
            for (int p = p0; p < p1; p++)
            {
                float* dx = GradInput + (long)p * InPlane, dy = GradOutput + (long)p * OutPlane;
                int* idx = ArgMax + (long)p * OutPlane;
                if (Dense2x2)
                {
                    ScatterPlane2x2(dx, dy, idx, Width, InPlane / Width, OutH, OutW);
                    continue;
                }
                if (Overwrite) new Span<float>(dx, InPlane).Clear();
                for (int k = 0; k < OutPlane; k++)
                {
                    int at = idx[k];
                    // A bad index (not from MaxForward on this geometry) would write outside the plane.
                    if ((uint)at < (uint)InPlane) dx[at] += dy[k];
                    else if (at != -1) throw new ArgumentException($"MaxPool backward: argmax {at} is outside the {InPlane}-element plane.");
                }
            }
        }
    }

    /// <summary>
    /// One plane of the 2×2/2 overwrite: for eight windows at a time, each of the 16 top-row and 16 bottom-row inputs
    /// gets the window's gradient where it is the arg-max and 0 elsewhere. A column or row left over by an odd width or
    /// height belongs to no window and is zeroed. Bad indices simply match no position (the gradient is dropped).
    /// </summary>
    private static unsafe void ScatterPlane2x2(float* dx, float* dy, int* idx, int w, int h, int outH, int outW)
    {
        var evenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
        // Interleave the two halves: lane 2k from lane k (left column), lane 2k+1 from lane 8+k (right column).
        var interleave = Vector512.Create(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
        for (int oy = 0; oy < outH; oy++)
        {
            int top = 2 * oy * w, o = oy * outW, ox = 0;
            float* t = dx + top, b = t + w;
            for (; ox <= outW - 8; ox += 8)
            {
                var g = Vector512.Create(Vector256.Load(dy + o + ox), Vector256.Load(dy + o + ox));
                var at = Vector256.Load(idx + o + ox);
                var rel = Vector512.Create(at, at) - Vector512.Create(top + 2 * ox) - evenLanes; // 0, 1, w, w+1 in each window
                var zero = Vector512<float>.Zero;
                var leftTopRight = Vector512.ConditionalSelect(Vector512.Equals(rel, Vector512.Create(Vector256<int>.Zero, Vector256.Create(1))).AsSingle(), g, zero);
                var leftBottomRight = Vector512.ConditionalSelect(Vector512.Equals(rel, Vector512.Create(Vector256.Create(w), Vector256.Create(w + 1))).AsSingle(), g, zero);
                // leftTopRight holds the top row's even columns in lanes 0–7 and its odd columns in 8–15.
                Avx512F.PermuteVar16x32(leftTopRight, interleave).Store(t + 2 * ox);
                Avx512F.PermuteVar16x32(leftBottomRight, interleave).Store(b + 2 * ox);
            }
            if (ox <= outW - 4)
            {
                // The same for four windows (8 columns per row), in 256-bit halves.
                var g = Vector256.Create(Vector128.Load(dy + o + ox), Vector128.Load(dy + o + ox));
                var at = Vector128.Load(idx + o + ox);
                var rel = Vector256.Create(at, at) - Vector256.Create(top + 2 * ox) - Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
                var leftTopRight = Vector256.ConditionalSelect(Vector256.Equals(rel, Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1)).AsSingle(), g, Vector256<float>.Zero);
                var leftBottomRight = Vector256.ConditionalSelect(Vector256.Equals(rel, Vector256.Create(Vector128.Create(w), Vector128.Create(w + 1))).AsSingle(), g, Vector256<float>.Zero);
                var interleave4 = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
                Vector256.Shuffle(leftTopRight, interleave4).Store(t + 2 * ox);
                Vector256.Shuffle(leftBottomRight, interleave4).Store(b + 2 * ox);
                ox += 4;
            }
            for (; ox < outW; ox++)
            {
                // Branch-free: which of the four wins is a coin toss, and mispredicted branches cost ~10 ns a window.
                int rel = idx[o + ox] - (top + 2 * ox);
                float g = dy[o + ox];
                t[2 * ox] = KeepIf(g, rel == 0);
                t[2 * ox + 1] = KeepIf(g, rel == 1);
                b[2 * ox] = KeepIf(g, rel == w);
                b[2 * ox + 1] = KeepIf(g, rel == w + 1);
            }
            if (2 * outW < w)
            {
                t[w - 1] = 0f;
                b[w - 1] = 0f;
            }
        }
        if (2 * outH < h) new Span<float>(dx + 2 * outH * w, w).Clear();
    }

    /// <summary>value where keep, else +0, without a branch (the bool's 0/1 byte becomes an all-zeros/all-ones mask).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float KeepIf(float value, bool keep) =>
        BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) & -Unsafe.As<bool, byte>(ref keep));
}
