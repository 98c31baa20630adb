using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

public sealed class GrowlProximalTests
{
    private static readonly int[][] Shapes = [[3, 5], [4, 7], [2, 3, 2, 2], [1, 6], [5, 1], [3, 4, 3]];

    /// <summary>GrOWL prox by the slow route: double norms, any descending order, exhaustive cone projection.</summary>
    private static float[] ReferenceGrowl(GroupLayout layout, float[] w, OwlWeights lambdas, float step)
    {
        var norms = ProxTestUtil.NaiveNorms(layout, w);
        int n = norms.Length;
        var order = Enumerable.Range(0, n).OrderByDescending(i => norms[i]).ToArray();
        var d = new double[n];
        for (int k = 0; k < n; k++) d[k] = norms[order[k]] - (double)step * lambdas.Values[k];
        var x = ProxTestUtil.BruteForceProjection(d);
        var result = (float[])w.Clone();
        var g = new float[layout.GroupSize];
        for (int k = 0; k < n; k++)
        {
            int j = order[k];
            double scale = norms[j] > 0 ? x[k] / norms[j] : 0;
            layout.CopyGroup(w, j, g);
            for (int i = 0; i < g.Length; i++) g[i] = (float)(g[i] * scale);
            layout.SetGroup(result, j, g);
        }
        return result;
    }

    [Fact]
    public void MatchesBruteForceReferenceWithTies()
    {
        var rng = new KnotRandom(3);
        for (int trial = 0; trial < 300; trial++)
        {
            var layout = new GroupLayout(Shapes[trial % Shapes.Length]);
            if (layout.GroupCount > 8) continue;
            var w = trial % 2 == 0 ? ProxTestUtil.TiedGroupWeights(rng, layout) : ProxTestUtil.RandomWeights(rng, layout.Size);
            var lambdas = ProxTestUtil.RandomLambdas(rng, layout.GroupCount);
            float step = (float)(rng.NextDouble() * 3);
            var expected = ReferenceGrowl(layout, w, lambdas, step);
            var actual = (float[])w.Clone();
            new GrowlProximal(layout, lambdas, deadThreshold: 0).Apply(actual, step);
            for (int i = 0; i < w.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"trial {trial} index {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void EqualLambdasGiveGroupSoftThreshold()
    {
        var rng = new KnotRandom(5);
        foreach (var shape in new[] { new[] { 30, 40 }, new[] { 6, 9, 3, 3 }, new[] { 7, 13 } })
        {
            var layout = new GroupLayout(shape);
            for (int trial = 0; trial < 10; trial++)
            {
                var w = ProxTestUtil.RandomWeights(rng, layout.Size);
                float step = 0.7f, lambda = 0.25f * (trial + 1) * MathF.Sqrt(layout.GroupSize) / step;
                var growl = (float[])w.Clone();
                new GrowlProximal(layout, OwlWeights.GroupLasso(layout.GroupCount, lambda)).Apply(growl, step);
                var lasso = (float[])w.Clone();
                new GroupLassoProximal(layout, lambda).Apply(lasso, step);
                // and the closed form g * max(0, 1 - mu/||g||)
                var norms = ProxTestUtil.NaiveNorms(layout, w);
                int zeros = 0;
                for (int j = 0; j < layout.GroupCount; j++)
                {
                    double scale = Math.Max(0, 1 - step * lambda / norms[j]);
                    if (scale == 0) zeros++;
                    for (int o = 0; o < layout.Out; o++)
                        for (int k = 0; k < layout.Inner; k++)
                        {
                            int idx = ProxTestUtil.Index(layout, o, j, k);
                            double expected = w[idx] * scale;
                            Assert.True(Math.Abs(growl[idx] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"GrOWL {growl[idx]} vs {expected}");
                            Assert.True(Math.Abs(lasso[idx] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"group Lasso {lasso[idx]} vs {expected}");
                            if (scale == 0) { Assert.Equal(0f, growl[idx]); Assert.Equal(0f, lasso[idx]); }
                        }
                }
                if (trial >= 5) Assert.True(zeros > 0, "large λ should zero some groups (test would be vacuous otherwise)");
            }
        }
    }

    [Fact]
    public void ZeroStepIsIdentity()
    {
        var rng = new KnotRandom(8);
        var layout = new GroupLayout(20, 30);
        var w = ProxTestUtil.TiedGroupWeights(rng, layout);
        for (int j = 0; j < layout.GroupCount; j++) if (ProxTestUtil.NaiveNorms(layout, w)[j] == 0) w[j] = 1f; // no dead groups
        var actual = (float[])w.Clone();
        new GrowlProximal(layout, OwlWeights.Pld(layout.GroupCount, 2, 0.5, 0.5)).Apply(actual, 0f);
        Assert.Equal(w, actual);
        var lasso = (float[])w.Clone();
        new GroupLassoProximal(layout, 3f).Apply(lasso, 0f);
        Assert.Equal(w, lasso);
    }

    [Fact]
    public void SingleGroupIsBlockSoftThreshold()
    {
        var rng = new KnotRandom(9);
        foreach (var shape in new[] { new[] { 12, 1 }, new[] { 4, 1, 3, 3 } })
        {
            var layout = new GroupLayout(shape);
            for (int trial = 0; trial < 20; trial++)
            {
                var w = ProxTestUtil.RandomWeights(rng, layout.Size);
                double norm = ProxTestUtil.NaiveNorms(layout, w)[0];
                float lambda = (float)(rng.NextDouble() * 2 * norm + 0.01), step = 1f;
                var actual = (float[])w.Clone();
                new GrowlProximal(layout, OwlWeights.Explicit([lambda])).Apply(actual, step);
                double scale = Math.Max(0, 1 - lambda / norm);
                for (int i = 0; i < w.Length; i++)
                    Assert.True(Math.Abs(actual[i] - w[i] * scale) <= 1e-5 * (1 + Math.Abs(w[i])), $"{actual[i]} vs {w[i] * scale}");
            }
        }
    }

    [Fact]
    public void NonExpansiveAndOrderPreserving()
    {
        var rng = new KnotRandom(21);
        for (int trial = 0; trial < 300; trial++)
        {
            var layout = new GroupLayout(1 + rng.NextInt(4), 1 + rng.NextInt(20), 1 + rng.NextInt(3));
            var lambdas = ProxTestUtil.RandomLambdas(rng, layout.GroupCount);
            float step = (float)(rng.NextDouble() * 4);
            var x = trial % 3 == 0 ? ProxTestUtil.TiedGroupWeights(rng, layout) : ProxTestUtil.RandomWeights(rng, layout.Size);
            var y = ProxTestUtil.RandomWeights(rng, layout.Size);
            if (trial % 2 == 0) for (int i = 0; i < y.Length; i++) y[i] = x[i] + 0.1f * y[i]; // nearby pairs too
            var px = (float[])x.Clone();
            var py = (float[])y.Clone();
            new GrowlProximal(layout, lambdas, 0).Apply(px, step);
            new GrowlProximal(layout, lambdas, 0).Apply(py, step);
            double before = ProxTestUtil.Distance(x, y), after = ProxTestUtil.Distance(px, py);
            Assert.True(after <= before * (1 + 1e-5) + 1e-6, $"trial {trial}: ||prox(x)-prox(y)|| = {after} > ||x-y|| = {before}");

            var r = ProxTestUtil.NaiveNorms(layout, x);
            var rp = ProxTestUtil.NaiveNorms(layout, px);
            for (int i = 0; i < r.Length; i++)
            {
                Assert.True(rp[i] <= r[i] * (1 + 1e-5) + 1e-7, "the prox never grows a group");
                for (int j = 0; j < r.Length; j++)
                    if (r[i] >= r[j]) Assert.True(rp[i] >= rp[j] - 1e-5 * (1 + rp[j]), $"trial {trial}: order of groups {i},{j} not preserved");
            }
        }
    }

    [Fact]
    public void ProxMinimisesTheObjectiveAgainstPerturbations()
    {
        var rng = new KnotRandom(31);
        for (int trial = 0; trial < 150; trial++)
        {
            var layout = new GroupLayout(1 + rng.NextInt(3), 1 + rng.NextInt(8));
            var lambdas = ProxTestUtil.RandomLambdas(rng, layout.GroupCount);
            float step = (float)(rng.NextDouble() * 2);
            var v = trial % 2 == 0 ? ProxTestUtil.TiedGroupWeights(rng, layout) : ProxTestUtil.RandomWeights(rng, layout.Size);
            var p = (float[])v.Clone();
            new GrowlProximal(layout, lambdas, 0).Apply(p, step);
            double best = Objective(layout, p, v, lambdas, step);
            var q = new float[p.Length];
            for (int k = 0; k < 40; k++)
            {
                double size = k < 20 ? 1e-2 : 0.3;
                for (int i = 0; i < q.Length; i++) q[i] = p[i] + (float)(rng.NextNormal() * size);
                if (k % 4 == 0) for (int i = 0; i < q.Length; i++) q[i] = p[i] * (1 + (float)(rng.NextNormal() * size)); // along the groups
                double other = Objective(layout, q, v, lambdas, step);
                Assert.True(best <= other + 1e-5 * (1 + Math.Abs(other)), $"trial {trial}: objective at prox {best} > perturbed {other}");
            }
        }
    }

    private static double Objective(GroupLayout layout, float[] x, float[] v, OwlWeights lambdas, float step)
    {
        double sq = 0;
        for (int i = 0; i < x.Length; i++) sq += ((double)x[i] - v[i]) * ((double)x[i] - v[i]);
        return 0.5 * sq + step * ProxTestUtil.OwlNorm(ProxTestUtil.NaiveNorms(layout, x), lambdas.Values);
    }

    [Fact]
    public void TiedNormsGetEqualNewNorms()
    {
        // Three groups with equal norm but different directions, one larger group: λ = (3, 2, 1, 0).
        var layout = new GroupLayout(2, 4);
        float[] w = [3, 0, 1, 0.6f,
                     4, 5, 0, 0.8f];
        var p = (float[])w.Clone();
        new GrowlProximal(layout, OwlWeights.Explicit([3, 2, 1, 0]), 0).Apply(p, 1f);
        var norms = ProxTestUtil.NaiveNorms(layout, p);
        // sorted norms (5, 5, 1, 1) with order among ties free; d = (2, 3, 0, 1) -> pooled (2.5, 2.5, 0.5, 0.5).
        Assert.Equal(2.5, norms[0], 5);
        Assert.Equal(2.5, norms[1], 5);
        Assert.Equal(0.5, norms[2], 5);
        Assert.Equal(0.5, norms[3], 5);
    }

    [Fact]
    public void DeadGroupsStayDead()
    {
        var rng = new KnotRandom(41);
        var layout = new GroupLayout(10, 16);
        var w = ProxTestUtil.RandomWeights(rng, layout.Size);
        for (int o = 0; o < layout.Out; o++) { w[ProxTestUtil.Index(layout, o, 3, 0)] *= 0.01f; w[ProxTestUtil.Index(layout, o, 7, 0)] *= 0.01f; }
        var prox = new GrowlProximal(layout, OwlWeights.Oscar(layout.GroupCount, 1, 0.01));
        prox.Apply(w, 0.2f);
        Assert.True(prox.DeadGroups[3] && prox.DeadGroups[7]);
        int dead = prox.DeadCount;
        Assert.Equal(prox.DeadGroups.ToArray().Count(b => b), dead);
        Assert.InRange(dead, 2, layout.GroupCount - 1);

        // A gradient step revives the weights; the mask keeps them at exact zero even with a zero step.
        for (int i = 0; i < w.Length; i++) w[i] += 0.5f;
        prox.Apply(w, 0f);
        var norms = ProxTestUtil.NaiveNorms(layout, w);
        for (int j = 0; j < layout.GroupCount; j++)
            if (prox.DeadGroups[j]) Assert.Equal(0.0, norms[j]);
            else Assert.True(norms[j] > 0);
        for (int o = 0; o < layout.Out; o++)
            for (int j = 0; j < layout.GroupCount; j++)
                if (prox.DeadGroups[j]) Assert.Equal(0, BitConverter.SingleToInt32Bits(w[ProxTestUtil.Index(layout, o, j, 0)])); // +0, not −0
        Assert.Equal(dead, prox.DeadCount);

        // Restoring a mask (checkpoint) replaces it.
        var mask = new bool[layout.GroupCount];
        mask[0] = true;
        prox.SetDeadGroups(mask);
        Assert.Equal(1, prox.DeadCount);
        Assert.Throws<ArgumentException>(() => prox.SetDeadGroups(new bool[3]));
    }

    [Fact]
    public void GroupsBelowThresholdAreKilled()
    {
        var layout = new GroupLayout(2, 3);
        float[] w = [1, 1e-8f, 2, 1, 1e-8f, 2];
        var prox = new GroupLassoProximal(layout, 1f, deadThreshold: 1e-7f);
        prox.Apply(w, 1e-9f);
        Assert.True(prox.DeadGroups[1]);
        Assert.Equal(0f, w[1]);
        Assert.Equal(0f, w[4]);
        Assert.Equal(1, prox.DeadCount);
    }

    [Fact]
    public void ValueIsOwlOfGroupNorms()
    {
        var rng = new KnotRandom(51);
        var layout = new GroupLayout(5, 9, 2);
        var w = ProxTestUtil.RandomWeights(rng, layout.Size);
        var lambdas = OwlWeights.Pld(layout.GroupCount, 1.5, 0.25, 0.5);
        double expected = ProxTestUtil.OwlNorm(ProxTestUtil.NaiveNorms(layout, w), lambdas.Values);
        Assert.Equal(expected, new GrowlProximal(layout, lambdas).Value(w), 4);
        double lasso = 2 * ProxTestUtil.NaiveNorms(layout, w).Sum();
        Assert.Equal(lasso, new GroupLassoProximal(layout, 2f).Value(w), 4);
    }

    [Fact]
    public void ApplyAllocatesNothing()
    {
        var rng = new KnotRandom(61);
        var layout = new GroupLayout(30, 100);
        var w = ProxTestUtil.RandomWeights(rng, layout.Size);
        var prox = new GrowlProximal(layout, OwlWeights.Pld(layout.GroupCount, 0.1, 0.01, 0.5));
        prox.Apply(w, 0.01f);
        prox.Value(w);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) prox.Apply(w, 0.01f);
        prox.Value(w);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadInputsThrowClearly()
    {
        var layout = new GroupLayout(2, 3);
        var prox = new GrowlProximal(layout, OwlWeights.GroupLasso(3, 1));
        var ex = Assert.Throws<ArgumentException>(() => prox.Apply(new float[5], 0.1f));
        Assert.Contains("6", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => prox.Apply(new float[6], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => prox.Apply(new float[6], float.NaN));
        float[] w = [1, float.NaN, 2, 3, 4, 5];
        var copy = (float[])w.Clone();
        Assert.Throws<ArgumentException>(() => prox.Apply(w, 0.1f));
        Assert.Equal(copy, w); // untouched
        Assert.Throws<ArgumentException>(() => new GrowlProximal(layout, OwlWeights.GroupLasso(4, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrowlProximal(layout, OwlWeights.GroupLasso(3, 1), -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupLassoProximal(layout, 0f));
    }
}
