using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

public sealed class GroupLayoutTests
{
    [Theory]
    [InlineData(new[] { 300, 784 })]
    [InlineData(new[] { 7, 13 })]
    [InlineData(new[] { 1, 1 })]
    [InlineData(new[] { 6, 5, 3, 3 })]
    [InlineData(new[] { 4, 3, 5 })]
    public void NormsAndScalingMatchNaiveIndexing(int[] shape)
    {
        var rng = new KnotRandom(301);
        var layout = new GroupLayout(shape);
        Assert.Equal(shape[1], layout.GroupCount);
        Assert.Equal(layout.Size / shape[1], layout.GroupSize);
        var w = ProxTestUtil.RandomWeights(rng, layout.Size);
        var norms = new float[layout.GroupCount];
        layout.Norms(w, norms);
        var expected = ProxTestUtil.NaiveNorms(layout, w);
        for (int j = 0; j < norms.Length; j++) Assert.Equal(expected[j], norms[j], 1e-4 * (1 + expected[j]));

        var scales = new float[layout.GroupCount];
        for (int j = 0; j < scales.Length; j++) scales[j] = j % 3 == 0 ? 0f : j * 0.5f;
        var scaled = (float[])w.Clone();
        layout.ScaleGroups(scaled, scales);
        for (int o = 0; o < layout.Out; o++)
            for (int j = 0; j < layout.In; j++)
                for (int k = 0; k < layout.Inner; k++)
                {
                    int idx = ProxTestUtil.Index(layout, o, j, k);
                    Assert.Equal(w[idx] * scales[j] + 0f, scaled[idx]);
                }

        // the row-scratch fast path (used by the operators for kernels) agrees with the per-run path
        var scratch = new float[layout.RowStride];
        var norms2 = new float[layout.GroupCount];
        layout.Norms(w, norms2, scratch);
        for (int j = 0; j < norms.Length; j++) Assert.Equal(expected[j], norms2[j], 1e-4 * (1 + expected[j]));
        var scaled2 = (float[])w.Clone();
        layout.ScaleGroups(scaled2, scales, scratch);
        Assert.Equal(scaled, scaled2);
        Assert.Throws<ArgumentException>(() => layout.ScaleGroups(scaled2, scales, new float[layout.RowStride + 1]));
        foreach (float v in scaled) Assert.False(v == 0 && float.IsNegative(v), "zero scale gives +0");

        var g = new float[layout.GroupSize];
        var rebuilt = new float[layout.Size];
        for (int j = 0; j < layout.GroupCount; j++)
        {
            layout.CopyGroup(w, j, g);
            Assert.Equal(w[ProxTestUtil.Index(layout, layout.Out - 1, j, layout.Inner - 1)], g[^1]);
            layout.SetGroup(rebuilt, j, g);
        }
        Assert.Equal(w, rebuilt);
    }

    [Fact]
    public void BadShapesAndSpansThrow()
    {
        Assert.Throws<ArgumentException>(() => new GroupLayout(5));
        Assert.Throws<ArgumentException>(() => new GroupLayout(5, 0));
        Assert.Throws<ArgumentException>(() => new GroupLayout(5, -2, 3));
        var layout = new GroupLayout(new Shape(2, 3, 2));
        Assert.Equal(3, layout.GroupCount);
        Assert.Equal(4, layout.GroupSize);
        Assert.Throws<ArgumentException>(() => layout.Norms(new float[11], new float[3]));
        Assert.Throws<ArgumentException>(() => layout.Norms(new float[12], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.CopyGroup(new float[12], 3, new float[4]));
    }
}
