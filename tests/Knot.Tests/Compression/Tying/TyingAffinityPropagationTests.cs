using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Tensors;

namespace Knot.Tests.Compression.Tying;

public sealed class TyingAffinityPropagationTests
{
    /// <summary>Points around well-separated 2-D centres; similarity = −squared distance (Frey &amp; Dueck's choice).</summary>
    [Fact]
    public void RecoversWellSeparatedClusters()
    {
        var rng = new KnotRandom(401);
        double[][] centres = [[0, 0], [10, 0], [0, 10], [10, 10]];
        int per = 6, n = centres.Length * per;
        var pts = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var c = centres[i / per];
            pts[i] = [c[0] + rng.NextNormal() * 0.3, c[1] + rng.NextNormal() * 0.3];
        }
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                s[i * n + j] = -(Math.Pow(pts[i][0] - pts[j][0], 2) + Math.Pow(pts[i][1] - pts[j][1], 2));
        var result = AffinityPropagation.Cluster(s, n, new AffinityPropagationOptions { Preference = -20 });
        Assert.True(result.Converged);
        Assert.Equal(4, result.ClusterCount);
        for (int i = 0; i < n; i++)
            Assert.Equal(result.Labels[i / per * per], result.Labels[i]);
        Assert.Equal(4, result.Labels.Distinct().Count());
        // each exemplar is a member of its own cluster
        for (int c = 0; c < result.ClusterCount; c++) Assert.Equal(c, result.Labels[result.Exemplars[c]]);
    }

    /// <summary>The vector message passes equal the plain loops bit for bit, round after round (so clusters, iteration
    /// counts and convergence are the reference's), including rows with tied maxima and exact zeros.</summary>
    [Theory]
    [InlineData(2, 0.5, 0.6, 1)]
    [InlineData(3, 0.9, -1.0, 2)]
    [InlineData(17, 0.5, 0.6, 3)]
    [InlineData(64, 0.7, -3.0, 1)]
    [InlineData(64, 0.7, -3.0, 4)]
    [InlineData(131, 0.5, -200.0, 2)] // far below the useful range: the availabilities run away
    public void MessagePassesMatchThePlainLoopsBitForBit(int n, double damping, double preference, int parts)
    {
        var rng = new KnotRandom((ulong)(n * 31 + 7));
        var s = new double[n * n];
        for (int i = 0; i < s.Length; i++) s[i] = Math.Round(rng.NextNormal(), i % 3 == 0 ? 1 : 12); // coarse values: ties in rows
        for (int i = 0; i < n; i++) s[i * n + i] = preference;
        if (n > 2) s[1] = 0.0;
        double[] rRef = new double[n * n], aRef = new double[n * n];
        var messages = new AffinityMessages(s, n, damping, parts);
        for (int round = 0; round < 25; round++)
        {
            messages.Update();
            Knot.Kernels.Reference.ReferenceAffinityPropagation.UpdateMessages(s, rRef, aRef, n, damping);
            Assert.Equal(rRef, messages.R);
            Assert.Equal(aRef, messages.A);
        }
    }

    [Fact]
    public void IsDeterministic()
    {
        var rng = new KnotRandom(403);
        int n = 30;
        var s = new double[n * n];
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextDouble();
        var a = AffinityPropagation.Cluster(s, n, new AffinityPropagationOptions { Preference = 0.5 });
        var b = AffinityPropagation.Cluster(s, n, new AffinityPropagationOptions { Preference = 0.5 });
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Exemplars, b.Exemplars);
        Assert.Equal(a.Iterations, b.Iterations);
    }

    [Fact]
    public void IdenticalGroupsEndInOneClusterAndSimilarityIsOneOnlyForThem()
    {
        var rng = new KnotRandom(405);
        var layout = new GroupLayout(8, 12);
        // three prototypes, each copied into several columns; two columns are a scaled copy (same direction, different norm)
        var protos = new float[3][];
        for (int p = 0; p < 3; p++) protos[p] = ProxTestUtilShim.Random(rng, layout.GroupSize);
        int[] proto = [0, 1, 2, 0, 1, 2, 0, 0, 1, 2, -1, -1];
        var w = new float[layout.Size];
        for (int j = 0; j < 12; j++)
        {
            var g = proto[j] >= 0 ? protos[proto[j]] : protos[0].Select(x => x * 1.5f).ToArray();
            layout.SetGroup(w, j, g);
        }
        var groups = GroupTying.LiveGroups(w, layout);
        var s = GroupSimilarity.Matrix(groups);
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
            {
                bool identical = proto[i] == proto[j];
                if (identical) Assert.Equal(1.0, s[i * 12 + j]);
                else Assert.True(s[i * 12 + j] < 1 - 1e-3, $"S[{i},{j}] = {s[i * 12 + j]}");
            }
        // scaled copy: S = 1.5|g|² / (2.25|g|²) = 2/3
        Assert.Equal(2.0 / 3, s[0 * 12 + 10], 5);

        var map = GroupTying.ByAffinityPropagation(w, layout);
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
                if (proto[i] == proto[j]) Assert.Equal(map.Labels[i], map.Labels[j]);
        Assert.Equal(0, map.DeadCount);
        // the three unrelated prototypes stay apart (without tie-breaking noise AP degenerates into one cluster here)
        Assert.Equal(3, new[] { map.Labels[0], map.Labels[1], map.Labels[2] }.Distinct().Count());
        Assert.InRange(map.ClusterCount, 3, 4);
    }

    [Fact]
    public void WhenTheFirstRunDoesNotSettleASecondMoreDampedLongerRunStillFindsTheTies()
    {
        // Nine groups: three copies (up to 1e-4 noise) of three unrelated prototypes.
        var layout = new GroupLayout(4, 9);
        var w = new float[layout.Size];
        var rng = new KnotRandom(3);
        var protos = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)rng.NextNormal()).ToArray()).ToArray();
        for (int j = 0; j < 9; j++) layout.SetGroup(w, j, protos[j % 3].Select(x => x + 1e-4f * (float)rng.NextNormal()).ToArray());
        // Two iterations cannot satisfy a 15-iteration convergence window: the first run fails by construction.
        var tooShort = new AffinityPropagationOptions { MaxIterations = 2 };
        var groups = GroupTying.LiveGroups(w, layout);
        Assert.False(AffinityPropagation.Cluster(GroupSimilarity.Matrix(groups), groups.Count, tooShort).Converged);
        var map = GroupTying.ByAffinityPropagation(w, layout, tooShort);
        Assert.Equal(3, map.ClusterCount); // the retry (damping 0.9, 1000 iterations) finds the three prototypes
        for (int j = 0; j < 9; j++) Assert.Equal(map.Labels[j % 3], map.Labels[j]);
    }

    [Fact]
    public void AllIdenticalGroupsFormOneCluster()
    {
        var layout = new GroupLayout(3, 5);
        var w = new float[layout.Size];
        for (int o = 0; o < 3; o++) for (int j = 0; j < 5; j++) w[o * 5 + j] = o + 1;
        var map = GroupTying.ByAffinityPropagation(w, layout);
        Assert.Equal(1, map.ClusterCount);
        var high = GroupTying.ByAffinityPropagation(w, layout, new AffinityPropagationOptions { Preference = 2 });
        Assert.Equal(5, high.ClusterCount);
    }

    [Fact]
    public void SimilarityMatchesDefinition()
    {
        float[] a = [1, 2, 2], b = [2, 0, 1];
        // <a,b> = 4, |a|² = 9, |b|² = 5
        Assert.Equal(4.0 / 9, GroupSimilarity.Pair(a, b), 12);
        Assert.Equal(1.0, GroupSimilarity.Pair(a, a));
        Assert.Equal(-1.0, GroupSimilarity.Pair(a, [-1, -2, -2]));
        Assert.Throws<ArgumentException>(() => GroupSimilarity.Pair(a, [0, 0, 0]));
    }

    [Fact]
    public void BadOptionsAndInputsThrow()
    {
        Assert.Throws<ArgumentException>(() => AffinityPropagation.Cluster(new double[5], 2));
        Assert.Throws<ArgumentException>(() => AffinityPropagation.Cluster([0, double.NaN, 0, 0], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => AffinityPropagation.Cluster(new double[4], 2, new AffinityPropagationOptions { Damping = 0.2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => AffinityPropagation.Cluster(new double[4], 2, new AffinityPropagationOptions { MaxIterations = 0 }));
        Assert.Single(AffinityPropagation.Cluster([0.0], 1).Exemplars);
        Assert.Empty(AffinityPropagation.Cluster([], 0).Labels);
    }
}

internal static class ProxTestUtilShim
{
    public static float[] Random(KnotRandom rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)rng.NextNormal();
        return v;
    }
}
