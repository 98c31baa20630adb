using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

public sealed class OwlProximalTests
{
    private static double Objective(float[] x, float[] v, OwlWeights lambdas, float step)
    {
        double sq = 0;
        var mags = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            sq += ((double)x[i] - v[i]) * ((double)x[i] - v[i]);
            mags[i] = Math.Abs((double)x[i]);
        }
        return 0.5 * sq + step * ProxTestUtil.OwlNorm(mags, lambdas.Values);
    }

    private static float[] RandomTiedVector(KnotRandom rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (rng.NextInt(9) - 4) * 0.5f;
        return v;
    }

    [Fact]
    public void MatchesBruteForceReference()
    {
        var rng = new KnotRandom(101);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 1 + rng.NextInt(8);
            var v = trial % 2 == 0 ? RandomTiedVector(rng, n) : ProxTestUtil.RandomWeights(rng, n);
            var lambdas = ProxTestUtil.RandomLambdas(rng, n);
            float step = (float)(rng.NextDouble() * 3);
            var order = Enumerable.Range(0, n).OrderByDescending(i => Math.Abs(v[i])).ToArray();
            var d = new double[n];
            for (int k = 0; k < n; k++) d[k] = Math.Abs(v[order[k]]) - (double)step * lambdas.Values[k];
            var x = ProxTestUtil.BruteForceProjection(d);
            var actual = (float[])v.Clone();
            new OwlProximal(lambdas).Apply(actual, step);
            for (int k = 0; k < n; k++)
            {
                int i = order[k];
                double expected = Math.Sign(v[i]) * x[k];
                Assert.True(Math.Abs(actual[i] - expected) < 1e-5, $"trial {trial}: v=[{string.Join(", ", v)}] entry {i}: {actual[i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void ProxMinimisesTheObjectiveAgainstPerturbations()
    {
        var rng = new KnotRandom(103);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + rng.NextInt(10);
            var v = trial % 2 == 0 ? RandomTiedVector(rng, n) : ProxTestUtil.RandomWeights(rng, n);
            var lambdas = ProxTestUtil.RandomLambdas(rng, n);
            float step = (float)(rng.NextDouble() * 2);
            var p = (float[])v.Clone();
            new OwlProximal(lambdas).Apply(p, step);
            double best = Objective(p, v, lambdas, step);
            var q = new float[n];
            for (int k = 0; k < 50; k++)
            {
                double size = k < 25 ? 1e-2 : 0.5;
                for (int i = 0; i < n; i++) q[i] = p[i] + (float)(rng.NextNormal() * size);
                double other = Objective(q, v, lambdas, step);
                Assert.True(best <= other + 1e-6 * (1 + Math.Abs(other)), $"trial {trial}: {best} > {other}");
            }
        }
    }

    [Fact]
    public void NonExpansiveSignAndOrderPreserving()
    {
        var rng = new KnotRandom(107);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 1 + rng.NextInt(30);
            var lambdas = ProxTestUtil.RandomLambdas(rng, n);
            float step = (float)(rng.NextDouble() * 3);
            var x = trial % 2 == 0 ? RandomTiedVector(rng, n) : ProxTestUtil.RandomWeights(rng, n);
            var y = ProxTestUtil.RandomWeights(rng, n);
            var px = (float[])x.Clone();
            var py = (float[])y.Clone();
            var prox = new OwlProximal(lambdas);
            prox.Apply(px, step);
            prox.Apply(py, step);
            Assert.True(ProxTestUtil.Distance(px, py) <= ProxTestUtil.Distance(x, y) * (1 + 1e-6) + 1e-6);
            for (int i = 0; i < n; i++)
            {
                Assert.True(px[i] == 0 || Math.Sign(px[i]) == Math.Sign(x[i]));
                for (int j = 0; j < n; j++)
                    if (Math.Abs(x[i]) >= Math.Abs(x[j])) Assert.True(Math.Abs(px[i]) >= Math.Abs(px[j]) - 1e-6);
            }
        }
    }

    [Fact]
    public void EqualLambdasGiveSoftThresholdAndZeroStepIsIdentity()
    {
        var rng = new KnotRandom(109);
        var v = ProxTestUtil.RandomWeights(rng, 37);
        var owl = (float[])v.Clone();
        new OwlProximal(OwlWeights.GroupLasso(37, 0.6)).Apply(owl, 1f);
        var l1 = (float[])v.Clone();
        new L1Proximal(37, 0.6f).Apply(l1, 1f);
        for (int i = 0; i < v.Length; i++) Assert.Equal(l1[i], owl[i], 5);
        Assert.Contains(0f, owl);

        var same = (float[])v.Clone();
        new OwlProximal(OwlWeights.Oscar(37, 1, 0.1)).Apply(same, 0f);
        Assert.Equal(v, same);
    }

    [Fact]
    public void ValueAndBadInputs()
    {
        var prox = new OwlProximal(OwlWeights.Explicit([3, 2, 1]));
        Assert.Equal(3 * 5 + 2 * 2 + 1 * 1, prox.Value([-2, 1, 5]), 6);
        Assert.Throws<ArgumentException>(() => prox.Apply(new float[4], 1));
        Assert.Throws<ArgumentException>(() => prox.Apply([1, float.PositiveInfinity, 0], 1));
    }
}
