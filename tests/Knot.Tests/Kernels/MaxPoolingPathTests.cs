using Knot.Kernels;
using Knot.Kernels.Reference;
using Knot.Tensors;

namespace Knot.Tests.Kernels;

/// <summary>
/// Every max-pooling path this CPU supports (scalar, Vector256, Vector512) and several plane splits give exactly the
/// reference's values and arg-max indices, ties included, and the backward scatter equals the reference's.
/// </summary>
public sealed class MaxPoolingPathTests
{
    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (var path in Enum.GetValues<MaxPoolPath>())
            if (path <= Pooling.BestMaxPoolPath) data.Add(path.ToString());
        return data;
    }

    // (N, C, H, W, k, stride, pad): 2×2/2 widths that hit 8-wide blocks, the 4-wide block and scalar tails, odd
    // heights and widths (last row/column dropped), and general windows with padding and overlap.
    private static readonly (int N, int C, int H, int W, int K, int S, int P)[] Shapes =
    [
        (2, 3, 24, 24, 2, 2, 0), (1, 2, 8, 8, 2, 2, 0), (3, 2, 7, 7, 2, 2, 0), (1, 1, 9, 17, 2, 2, 0),
        (2, 1, 5, 25, 2, 2, 0), (1, 2, 6, 11, 2, 2, 0), (1, 1, 2, 2, 2, 2, 0), (2, 2, 3, 3, 2, 2, 0),
        (1, 1, 4, 64, 2, 2, 0), (1, 1, 3, 41, 2, 2, 0), (1, 2, 7, 9, 3, 2, 1), (2, 1, 6, 6, 2, 1, 1),
        (1, 1, 5, 5, 3, 1, 1), (1, 2, 9, 8, 5, 2, 2),
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryPathAndSplitMatchesTheReference(string pathName)
    {
        var path = Enum.Parse<MaxPoolPath>(pathName);
        var rng = new KnotRandom(31);
        foreach (var (n, c, h, w, k, s, p) in Shapes)
        {
            foreach (bool ties in new[] { false, true })
            {
                var g = new ConvolutionGeometry(n, c, h, w, k, k, s, s, p, p);
                var x = new float[n * c * h * w];
                // Values from {−1, 0, 1} make most windows tie; the reference's first-in-row-major choice must hold.
                for (int i = 0; i < x.Length; i++) x[i] = ties ? (int)(rng.NextSingle() * 3) - 1 : rng.NextSingle() * 2 - 1;
                int outLength = n * c * g.OutputPlane;
                var expected = new float[outLength];
                var expectedIdx = new int[outLength];
                ReferencePooling.MaxForward(g, x, expected, expectedIdx);
                var dy = ConvolutionKernelTests.Random(new KnotRandom(32), outLength);
                var dxExpected = ConvolutionKernelTests.Random(new KnotRandom(33), x.Length);
                var dx0 = (float[])dxExpected.Clone();
                ReferencePooling.MaxBackward(g, dy, expectedIdx, dxExpected);
                foreach (int parts in new[] { 1, 2, 5 })
                {
                    string what = $"{path} parts {parts} shape ({n},{c},{h},{w}) k{k} s{s} p{p} ties {ties}";
                    var y = new float[outLength];
                    var idx = new int[outLength];
                    Pooling.MaxForward(g, x, y, idx, path, parts);
                    Assert.True(expected.AsSpan().SequenceEqual(y), what);
                    Assert.True(expectedIdx.AsSpan().SequenceEqual(idx), what);
                    var yOnly = new float[outLength];
                    Pooling.MaxForward(g, x, yOnly, default, path, parts);
                    Assert.True(expected.AsSpan().SequenceEqual(yOnly), what);
                    var dx = (float[])dx0.Clone();
                    Pooling.MaxBackward(g, dy, idx, dx, parts);
                    Assert.True(dxExpected.AsSpan().SequenceEqual(dx), what);
                    // Overwrite mode: the scatter onto zeros, whatever the buffer held before.
                    var dxOver = ConvolutionKernelTests.Random(new KnotRandom(34), x.Length);
                    Pooling.MaxBackward(g, dy, idx, dxOver, parts, overwrite: true, path);
                    var onZeros = new float[x.Length];
                    ReferencePooling.MaxBackward(g, dy, expectedIdx, onZeros);
                    Assert.True(onZeros.AsSpan().SequenceEqual(dxOver), what + " overwrite");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void NaNWinsAndALaterNaNReplacesAnEarlierOne(string pathName)
    {
        var path = Enum.Parse<MaxPoolPath>(pathName);
        var g = new ConvolutionGeometry(1, 1, 2, 40, 2, 2, 2, 2, 0, 0); // 20 outputs: 8 + 8 + 4 on the widest path
        var x = new float[80];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 - 3f;
        int[] nanAt = [1, 2 * 3 + 40, 2 * 9, 2 * 9 + 41, 2 * 12 + 1, 2 * 12 + 40, 2 * 17 + 41, 2 * 19];
        foreach (int i in nanAt) x[i] = float.NaN;
        var y = new float[20];
        var idx = new int[20];
        Pooling.MaxForward(g, x, y, idx, path, 1);
        for (int o = 0; o < 20; o++)
        {
            // The sequential definition: scan the window in row-major order, take a candidate that is greater or NaN.
            int[] window = [2 * o, 2 * o + 1, 2 * o + 40, 2 * o + 41];
            int best = window[0];
            foreach (int i in window[1..])
                if (x[i] > x[best] || float.IsNaN(x[i])) best = i;
            Assert.Equal(best, idx[o]);
            Assert.Equal(x[best], y[o]);
        }
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[3]) && float.IsNaN(y[12]) && float.IsNaN(y[19]));
        Assert.Equal(2 * 9 + 41, idx[9]);
    }

    [Fact]
    public void BackwardRejectsAnIndexOutsideThePlane()
    {
        var g = new ConvolutionGeometry(1, 1, 2, 2, 2, 2, 2, 2, 0, 0);
        var e = Assert.Throws<ArgumentException>(() => Pooling.MaxBackward(g, [1f], [4], new float[4]));
        Assert.Contains("outside", e.Message);
    }
}
