using Knot.Kernels;
using Knot.Kernels.Reference;
using Knot.Tensors;

namespace Knot.Tests.Kernels;

public sealed class ConvolutionKernelTests
{
    // (N, Cin, H, W, Cout, k, stride, pad): odd sizes, 1×1 (pointwise and strided), kernel == input, kernel larger
    // than the input but covered by padding, Cin = 1, batch 1, stride larger than the kernel, even kernels.
    public static TheoryData<int, int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 1, 5, 5, 1, 3, 1, 0 },
        { 2, 3, 7, 6, 4, 3, 1, 1 },
        { 3, 2, 9, 9, 5, 3, 2, 1 },
        { 2, 4, 8, 8, 3, 1, 1, 0 },
        { 2, 3, 8, 7, 2, 1, 2, 0 },
        { 1, 2, 5, 5, 3, 5, 1, 0 },
        { 3, 1, 28, 28, 4, 5, 1, 0 },
        { 3, 5, 6, 6, 7, 3, 2, 2 },
        { 2, 2, 4, 4, 3, 5, 1, 2 },
        { 4, 3, 11, 13, 2, 4, 3, 2 },
        { 1, 1, 1, 1, 2, 1, 1, 0 },
        { 2, 2, 9, 9, 3, 2, 3, 0 },
        { 5, 2, 3, 3, 2, 3, 1, 1 },
        { 2, 2, 6, 17, 3, 5, 1, 0 }, // stride 1, no padding (the dense im2col path): rows of 13 = 8 + 4 + 1
        { 1, 3, 7, 10, 2, 5, 1, 0 }, // dense path, rows of 6 = 4 + 2
        { 2, 2, 9, 14, 6, 3, 1, 0 }, // direct weight gradient: 4+2 channels, 3 blocks of 5 taps + 3, rows of 8 + 4
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesReferenceForEveryChunking(int n, int cin, int h, int w, int cout, int k, int stride, int pad)
    {
        var g = new ConvolutionGeometry(n, cin, h, w, k, k, stride, stride, pad, pad);
        var rng = new KnotRandom(11);
        var x = Random(rng, n * cin * h * w);
        var weight = Random(rng, cout * g.PatchSize);
        var bias = Random(rng, cout);
        var expected = new float[n * cout * g.OutputPlane];
        ReferenceConvolution.Forward(g, cout, x, weight, bias, expected);
        var expectedNoBias = new float[expected.Length];
        ReferenceConvolution.Forward(g, cout, x, weight, default, expectedNoBias);

        foreach (int chunk in new[] { 0, 1, 2, n })
        {
            var actual = new float[expected.Length];
            Array.Fill(actual, float.NaN); // the kernel must overwrite every element
            Convolution.Forward(g, cout, x, weight, bias, actual, chunk);
            AssertClose(expected, actual, $"forward with bias, chunk {chunk}");
            Array.Fill(actual, float.NaN);
            Convolution.Forward(g, cout, x, weight, default, actual, chunk);
            AssertClose(expectedNoBias, actual, $"forward without bias, chunk {chunk}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardMatchesReferenceAndAccumulates(int n, int cin, int h, int w, int cout, int k, int stride, int pad)
    {
        var g = new ConvolutionGeometry(n, cin, h, w, k, k, stride, stride, pad, pad);
        var rng = new KnotRandom(12);
        var x = Random(rng, n * cin * h * w);
        var weight = Random(rng, cout * g.PatchSize);
        var dy = Random(rng, n * cout * g.OutputPlane);
        // Non-zero starting gradients: backward must add to them, not overwrite.
        var dx0 = Random(rng, x.Length);
        var dw0 = Random(rng, weight.Length);
        var db0 = Random(rng, cout);

        var dxRef = (float[])dx0.Clone();
        var dwRef = (float[])dw0.Clone();
        var dbRef = (float[])db0.Clone();
        ReferenceConvolution.Backward(g, cout, x, weight, dy, dxRef, dwRef, dbRef);

        foreach (int chunk in new[] { 0, 1, 2, n })
        {
            var dx = (float[])dx0.Clone();
            var dw = (float[])dw0.Clone();
            var db = (float[])db0.Clone();
            Convolution.Backward(g, cout, x, weight, dy, dx, dw, db, chunk);
            AssertClose(dxRef, dx, $"gradInput, chunk {chunk}");
            AssertClose(dwRef, dw, $"gradWeight, chunk {chunk}");
            AssertClose(dbRef, db, $"gradBias, chunk {chunk}");

            // With the im2col matrices kept from a forward pass of the same chunking, nothing changes.
            var kept = new float[Convolution.KeptColumnsLength(g)];
            Convolution.Forward(g, cout, x, weight, default, new float[dy.Length], chunk, kept);
            var dwKept = (float[])dw0.Clone();
            var dxKept = (float[])dx0.Clone();
            Convolution.Backward(g, cout, x, weight, dy, dxKept, dwKept, default, chunk, kept);
            AssertClose(dwRef, dwKept, $"gradWeight from kept columns, chunk {chunk}");
            AssertClose(dxRef, dxKept, $"gradInput with kept columns, chunk {chunk}");

            // Each gradient alone (the others skipped) gives the same values.
            var dxOnly = (float[])dx0.Clone();
            Convolution.Backward(g, cout, x, weight, dy, dxOnly, default, default, chunk);
            AssertClose(dxRef, dxOnly, $"gradInput alone, chunk {chunk}");
            var dwOnly = (float[])dw0.Clone();
            Convolution.Backward(g, cout, x, weight, dy, default, dwOnly, default, chunk);
            AssertClose(dwRef, dwOnly, $"gradWeight alone, chunk {chunk}");
            var dbOnly = (float[])db0.Clone();
            Convolution.Backward(g, cout, x, weight, dy, default, default, dbOnly, chunk);
            AssertClose(dbRef, dbOnly, $"gradBias alone, chunk {chunk}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Col2ImIsTheAdjointOfIm2Col(int n, int cin, int h, int w, int cout, int k, int stride, int pad)
    {
        _ = cout;
        var g = new ConvolutionGeometry(n, cin, h, w, k, k, stride, stride, pad, pad);
        var rng = new KnotRandom(13);
        var image = Random(rng, cin * h * w);
        int ld = g.OutputPlane + 3; // a column block inside a wider matrix, as in the chunked GEMM
        var col = new float[g.PatchSize * ld];
        Array.Fill(col, 99f);
        Im2Col.Pack(g, image, col, ld, 2);
        var c = Random(rng, col.Length);
        var back = new float[image.Length];
        Im2Col.Accumulate(g, c, ld, 2, back);
        // <Pack(x), c> over the block == <x, Accumulate(c)>
        double lhs = 0, rhs = 0;
        for (int r = 0; r < g.PatchSize; r++)
            for (int p = 0; p < g.OutputPlane; p++) lhs += (double)col[r * ld + 2 + p] * c[r * ld + 2 + p];
        for (int i = 0; i < image.Length; i++) rhs += (double)image[i] * back[i];
        Assert.Equal(lhs, rhs, 4);
        // Columns outside the block are untouched.
        for (int r = 0; r < g.PatchSize; r++)
        {
            Assert.Equal(99f, col[r * ld]);
            Assert.Equal(99f, col[r * ld + 1]);
            Assert.Equal(99f, col[r * ld + ld - 1]);
        }
    }

    [Fact]
    public void SameInputsGiveTheSameBits()
    {
        var g = new ConvolutionGeometry(6, 3, 10, 10, 3, 3, 1, 1, 1, 1);
        var rng = new KnotRandom(14);
        var x = Random(rng, 6 * 3 * 100);
        var weight = Random(rng, 4 * g.PatchSize);
        var dy = Random(rng, 6 * 4 * g.OutputPlane);
        float[] Run()
        {
            var y = new float[dy.Length];
            Convolution.Forward(g, 4, x, weight, default, y);
            var dw = new float[weight.Length];
            var dx = new float[x.Length];
            Convolution.Backward(g, 4, x, weight, dy, dx, dw, default);
            return [.. y, .. dw, .. dx];
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void WrongSizesAreRejectedWithExpectedAndActual()
    {
        var g = new ConvolutionGeometry(2, 3, 5, 5, 3, 3, 1, 1, 0, 0);
        var e = Assert.Throws<ArgumentException>(() => Convolution.Forward(g, 4, new float[10], new float[4 * 27], default, new float[2 * 4 * 9]));
        Assert.Contains("150", e.Message);
        Assert.Contains("10", e.Message);
        Assert.Throws<ArgumentException>(() => Convolution.Forward(g, 4, new float[150], new float[4 * 26], default, new float[2 * 4 * 9]));
        Assert.Throws<ArgumentException>(() => Convolution.Forward(g, 4, new float[150], new float[4 * 27], new float[3], new float[2 * 4 * 9]));
        Assert.Throws<ArgumentException>(() => new ConvolutionGeometry(1, 1, 3, 3, 5, 5, 1, 1, 0, 0));
        Assert.Throws<ArgumentException>(() => Convolution.Forward(g, 4, new float[150], new float[4 * 27], default, new float[2 * 4 * 9], 0, new float[5]));
        Assert.Throws<ArgumentException>(() => new ConvolutionGeometry(1, 1, 3, 3, 3, 3, 0, 1, 0, 0));
    }

    internal static float[] Random(KnotRandom rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float diff = MathF.Abs(expected[i] - actual[i]);
            if (!(diff <= tolerance * (1 + MathF.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} expected {expected[i]}, got {actual[i]}");
        }
    }
}
