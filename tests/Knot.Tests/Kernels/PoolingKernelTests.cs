using Knot.Kernels;
using Knot.Kernels.Reference;
using Knot.Tensors;

namespace Knot.Tests.Kernels;

public sealed class PoolingKernelTests
{
    // (N, C, H, W, k, stride, pad)
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        { 2, 3, 8, 8, 2, 2, 0 },
        { 1, 2, 7, 9, 2, 2, 0 },
        { 2, 2, 7, 7, 3, 2, 1 },
        { 1, 1, 5, 5, 3, 1, 1 },
        { 2, 1, 6, 5, 3, 3, 0 },
        { 1, 3, 4, 4, 4, 1, 0 },
        { 3, 2, 9, 8, 5, 2, 2 },
        { 1, 1, 1, 1, 1, 1, 0 },
        { 2, 2, 6, 6, 2, 1, 1 },
        { 2, 2, 20, 19, 2, 2, 0 }, // 2×2 vector path (8 outputs) plus a scalar tail
        { 1, 3, 24, 24, 2, 2, 0 }, // LeNet's first pooling: one vector and a tail of 4
        { 1, 1, 4, 33, 2, 2, 0 },  // two vector blocks per row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MaxMatchesReference(int n, int c, int h, int w, int k, int stride, int pad)
    {
        var g = new ConvolutionGeometry(n, c, h, w, k, k, stride, stride, pad, pad);
        var x = ConvolutionKernelTests.Random(new KnotRandom(21), n * c * h * w);
        int outLength = n * c * g.OutputPlane;
        var expected = new float[outLength];
        var expectedIdx = new int[outLength];
        ReferencePooling.MaxForward(g, x, expected, expectedIdx);
        var actual = new float[outLength];
        var idx = new int[outLength];
        Pooling.MaxForward(g, x, actual, idx);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedIdx, idx);
        var withoutIndices = new float[outLength];
        Pooling.MaxForward(g, x, withoutIndices, default);
        Assert.Equal(expected, withoutIndices);

        // Backward routes each output gradient to its argmax, on top of what is there.
        var dy = ConvolutionKernelTests.Random(new KnotRandom(22), outLength);
        var dx = ConvolutionKernelTests.Random(new KnotRandom(23), x.Length);
        var dxExpected = (float[])dx.Clone();
        for (int o = 0; o < outLength; o++) dxExpected[o / g.OutputPlane * g.InputPlane + expectedIdx[o]] += dy[o];
        Pooling.MaxBackward(g, dy, idx, dx);
        ConvolutionKernelTests.AssertClose(dxExpected, dx, "max backward", 1e-6f);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AverageMatchesReference(int n, int c, int h, int w, int k, int stride, int pad)
    {
        var g = new ConvolutionGeometry(n, c, h, w, k, k, stride, stride, pad, pad);
        var x = ConvolutionKernelTests.Random(new KnotRandom(24), n * c * h * w);
        int outLength = n * c * g.OutputPlane;
        var expected = new float[outLength];
        ReferencePooling.AvgForward(g, x, expected);
        var actual = new float[outLength];
        Pooling.AvgForward(g, x, actual);
        ConvolutionKernelTests.AssertClose(expected, actual, "avg forward", 1e-5f);

        var dy = ConvolutionKernelTests.Random(new KnotRandom(25), outLength);
        var dx0 = ConvolutionKernelTests.Random(new KnotRandom(26), x.Length);
        var dxExpected = (float[])dx0.Clone();
        ReferencePooling.AvgBackward(g, dy, dxExpected);
        var dx = (float[])dx0.Clone();
        Pooling.AvgBackward(g, dy, dx);
        ConvolutionKernelTests.AssertClose(dxExpected, dx, "avg backward", 1e-5f);
    }

    [Fact]
    public void MaxTiesGoToTheFirstAndNaNPropagates()
    {
        var g = new ConvolutionGeometry(1, 1, 2, 4, 2, 2, 2, 2, 0, 0);
        float[] x = [1f, 1f, 0f, float.NaN,
                     1f, 0f, 5f, 2f];
        var y = new float[2];
        var idx = new int[2];
        Pooling.MaxForward(g, x, y, idx);
        Assert.Equal(1f, y[0]);
        Assert.Equal(0, idx[0]);
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal(3, idx[1]);
        var g3 = new ConvolutionGeometry(1, 1, 2, 4, 2, 3, 1, 1, 0, 0); // generic path
        var y3 = new float[2];
        var idx3 = new int[2];
        Pooling.MaxForward(g3, x, y3, idx3);
        Assert.Equal(5f, y3[0]);
        Assert.Equal(6, idx3[0]);
        Assert.True(float.IsNaN(y3[1]));
        Assert.Equal(3, idx3[1]);
    }

    [Fact]
    public void VectorPathBreaksTiesLikeTheReferenceAndPropagatesNaN()
    {
        var g = new ConvolutionGeometry(1, 1, 2, 32, 2, 2, 2, 2, 0, 0);
        var x = new float[64];
        for (int i = 0; i < 64; i++) x[i] = (i % 5) switch { 0 => 1f, 1 => 1f, 2 => 0f, _ => -1f }; // many ties
        x[5] = float.NaN;
        x[32 + 17] = float.NaN;
        var expected = new float[16];
        var expectedIdx = new int[16];
        ReferencePooling.MaxForward(g, x, expected, expectedIdx);
        var y = new float[16];
        var idx = new int[16];
        Pooling.MaxForward(g, x, y, idx);
        Assert.True(float.IsNaN(y[2]));
        Assert.Equal(5, idx[2]);
        Assert.True(float.IsNaN(y[8]));
        Assert.Equal(32 + 17, idx[8]);
        for (int o = 0; o < 16; o++)
        {
            if (o is 2 or 8) continue; // the reference ignores NaN; everything else must match exactly
            Assert.Equal(expected[o], y[o]);
            Assert.Equal(expectedIdx[o], idx[o]);
        }
    }

    [Fact]
    public void PaddingNeverWinsMaxPooling()
    {
        // All inputs negative: zero padding would win if padding were treated as 0 rather than −∞.
        var g = new ConvolutionGeometry(1, 1, 3, 3, 3, 3, 1, 1, 1, 1);
        var x = new float[9];
        for (int i = 0; i < 9; i++) x[i] = -1f - i;
        var y = new float[9];
        Pooling.MaxForward(g, x, y, new int[9]);
        Assert.Equal(-1f, y[0]);
        Assert.Equal(-5f, y[8]);
    }

    [Fact]
    public void GlobalAverageIsThePlaneMean()
    {
        var x = ConvolutionKernelTests.Random(new KnotRandom(27), 6 * 35);
        var y = new float[6];
        Pooling.GlobalAvgForward(6, 35, x, y);
        for (int p = 0; p < 6; p++)
        {
            double sum = 0;
            for (int i = 0; i < 35; i++) sum += x[p * 35 + i];
            Assert.Equal(sum / 35, y[p], 5);
        }
        var dx = new float[x.Length];
        Array.Fill(dx, 1f);
        Pooling.GlobalAvgBackward(6, 35, [35f, 0f, 70f, 0f, 0f, -35f], dx);
        Assert.Equal(2f, dx[0], 6);
        Assert.Equal(1f, dx[35], 6);
        Assert.Equal(3f, dx[2 * 35 + 34], 6);
        Assert.Equal(0f, dx[5 * 35], 6);
        Assert.Throws<ArgumentException>(() => Pooling.GlobalAvgForward(6, 35, x, new float[5]));
    }
}
