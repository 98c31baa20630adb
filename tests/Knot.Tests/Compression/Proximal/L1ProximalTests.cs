using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

public sealed class L1ProximalTests
{
    [Fact]
    public void VectorAndScalarPathsMatchTheFormulaOnEveryLength()
    {
        var rng = new KnotRandom(201);
        for (int n = 1; n <= 70; n++)
        {
            var w = ProxTestUtil.RandomWeights(rng, n);
            var p = (float[])w.Clone();
            new L1Proximal(n, 0.5f).Apply(p, 1.2f);
            for (int i = 0; i < n; i++)
            {
                float t = 0.5f * 1.2f;
                float expected = MathF.Abs(w[i]) > t ? MathF.Sign(w[i]) * (MathF.Abs(w[i]) - t) : 0f;
                Assert.Equal(expected, p[i], 6);
                if (expected == 0) Assert.False(float.IsNegative(p[i]), "zeros are +0");
            }
        }
    }

    [Fact]
    public void ZeroStepIsIdentityAndValueIsScaledL1()
    {
        var rng = new KnotRandom(203);
        var w = ProxTestUtil.RandomWeights(rng, 33);
        var p = (float[])w.Clone();
        var prox = new L1Proximal(33, 2f);
        prox.Apply(p, 0f);
        Assert.Equal(w, p);
        Assert.Equal(2 * w.Sum(x => (double)Math.Abs(x)), prox.Value(w), 4);
    }

    [Fact]
    public void NonFiniteWeightsThrow()
    {
        foreach (int n in new[] { 3, 20 })
        {
            var w = new float[n];
            w[n - 2] = float.NaN;
            Assert.Throws<ArgumentException>(() => new L1Proximal(n, 1f).Apply(w, 0.1f));
            w[n - 2] = float.NegativeInfinity;
            Assert.Throws<ArgumentException>(() => new L1Proximal(n, 1f).Apply(w, 0.1f));
        }
        Assert.Throws<ArgumentException>(() => new L1Proximal(4, 1f).Apply(new float[5], 0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new L1Proximal(4, -1f));
    }
}
