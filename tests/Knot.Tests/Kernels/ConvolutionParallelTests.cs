using Knot.Kernels;
using Knot.Kernels.Reference;
using Knot.Tensors;

namespace Knot.Tests.Kernels;

/// <summary>The batch-parallel convolution driver against the serial path and the plain-loop reference.</summary>
public sealed class ConvolutionParallelTests
{
    public static TheoryData<int, int, int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, size, outChannels, kernel, stride, padding, parts
        { 7, 3, 9, 4, 3, 1, 1, 3 },
        { 5, 2, 11, 6, 5, 2, 2, 2 },
        { 4, 1, 8, 3, 1, 1, 0, 4 },   // pointwise
        { 3, 4, 6, 5, 3, 2, 0, 5 },   // more parts than images
        { 16, 20, 12, 50, 5, 1, 0, 2 }, // LeNet-5 conv2-like, wide enough for the chunked GEMM path
    };

    private static float[] Random(KnotRandom rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)rng.NextNormal();
        return a;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PartsMatchSerialAndReference(int batch, int channels, int size, int outChannels, int kernel, int stride, int padding, int parts)
    {
        var g = new ConvolutionGeometry(batch, channels, size, size, kernel, kernel, stride, stride, padding, padding);
        var rng = new KnotRandom(42);
        var x = Random(rng, batch * channels * size * size);
        var w = Random(rng, outChannels * g.PatchSize);
        var b = Random(rng, outChannels);
        int outLength = batch * outChannels * g.OutputPlane;
        var dy = Random(rng, outLength);

        var ySerial = new float[outLength];
        var yParallel = new float[outLength];
        Convolution.Forward(g, outChannels, x, w, b, ySerial, 0, default, parts: 1);
        Convolution.Forward(g, outChannels, x, w, b, yParallel, 0, default, parts);
        Assert.Equal(ySerial, yParallel); // same per-element computation, whatever the split

        var dxS = new float[x.Length]; var dwS = new float[w.Length]; var dbS = new float[b.Length];
        var dxP = new float[x.Length]; var dwP = Enumerable.Repeat(0.5f, w.Length).ToArray(); var dbP = Enumerable.Repeat(0.5f, b.Length).ToArray();
        Convolution.Backward(g, outChannels, x, w, dy, dxS, dwS, dbS, 0, default, parts: 1);
        Convolution.Backward(g, outChannels, x, w, dy, dxP, dwP, dbP, 0, default, parts); // dW and db accumulate onto 0.5
        Assert.Equal(dxS, dxP); // image ranges are disjoint: dX is computed exactly as on one thread

        var dxR = new float[x.Length]; var dwR = new float[w.Length]; var dbR = new float[b.Length];
        ReferenceConvolution.Backward(g, outChannels, x, w, dy, dxR, dwR, dbR);
        for (int i = 0; i < dwR.Length; i++) Assert.True(Math.Abs(dwP[i] - 0.5f - dwR[i]) <= 1e-3f * (1 + Math.Abs(dwR[i])), $"dW[{i}]: {dwP[i] - 0.5f} vs {dwR[i]}");
        for (int i = 0; i < dbR.Length; i++) Assert.True(Math.Abs(dbP[i] - 0.5f - dbR[i]) <= 1e-3f * (1 + Math.Abs(dbR[i])), $"db[{i}]: {dbP[i] - 0.5f} vs {dbR[i]}");

        // Same split, same bits.
        var dwAgain = Enumerable.Repeat(0.5f, w.Length).ToArray();
        Convolution.Backward(g, outChannels, x, w, dy, default, dwAgain, default, 0, default, parts);
        Assert.Equal(dwP, dwAgain);
    }
}
