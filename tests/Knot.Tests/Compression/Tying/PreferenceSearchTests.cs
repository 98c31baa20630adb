using Knot.Compression.Growl;
using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Tensors;

namespace Knot.Tests.Compression.Tying;

public sealed class PreferenceSearchTests
{
    /// <summary>A stand-in for AP whose cluster count is a known step function of the preference.</summary>
    private static Func<double, AffinityPropagationResult> CountsAs(Func<double, int> count, List<double>? tried = null) => p =>
    {
        tried?.Add(p);
        int k = count(p);
        return new AffinityPropagationResult(Enumerable.Range(0, k).ToArray(), Enumerable.Range(0, k).ToArray(), 1, true);
    };

    [Fact]
    public void KeepsThePreferenceWhenItIsAlreadyUnderTheCap()
    {
        var tried = new List<double>();
        var o = PreferenceSearch.AtMost(10, 0.6, CountsAs(_ => 7, tried));
        Assert.Equal(0.6, o.Preference);
        Assert.Equal(7, o.Result.ClusterCount);
        Assert.Equal([0.6], tried);
    }

    [Fact]
    public void FindsTheLargestCountNotAboveTheCapOfAMonotoneCount()
    {
        // clusters = max(1, ⌊40 + 10 p⌋): 32 clusters needs p in [−0.8, −0.7)
        static int Count(double p) => Math.Max(1, (int)Math.Floor(40 + 10 * p));
        var o = PreferenceSearch.AtMost(32, 0.6, CountsAs(Count));
        Assert.Equal(32, o.Result.ClusterCount);
        Assert.InRange(o.Preference, -0.8, -0.7);
        // a far cap takes the doubling steps first: 3 clusters needs p in [−3.7, −3.6)
        var far = PreferenceSearch.AtMost(3, 0.6, CountsAs(Count));
        Assert.Equal(3, far.Result.ClusterCount);
        Assert.InRange(far.Preference, -3.7, -3.6);
    }

    [Fact]
    public void TheSequenceOfPreferencesTriedIsFixed()
    {
        // Documented cluster-cap results (BENCHMARKS.md) depend on exactly these steps: doubling, then bisection from one
        // doubling below the first preference under the cap.
        static int Count(double p) => Math.Max(1, (int)Math.Floor(40 + 10 * p));
        var tried = new List<double>();
        PreferenceSearch.AtMost(32, 0.6, CountsAs(Count, tried));
        Assert.Equal([0.6, -0.4, -1.4, -1.9, -1.15, -0.7749999999999999], tried);
        tried.Clear();
        PreferenceSearch.AtMost(3, 0.6, CountsAs(Count, tried));
        Assert.Equal([0.6, -0.4, -1.4, -3.4, -7.4, -9.4, -6.4, -4.9, -4.15, -3.7750000000000004, -3.5875000000000004, -3.6812500000000004], tried);
    }

    [Fact]
    public void ANonConvergedRunCountsAsTooManyAndAHopelessSearchSaysSo()
    {
        var o = PreferenceSearch.AtMost(2, 0, p => p > -5
            ? new AffinityPropagationResult([0, 1, 2, 3], [0, 1, 2, 3], 200, false)
            : new AffinityPropagationResult([0], [0, 0, 0, 0], 30, true));
        Assert.Equal(1, o.Result.ClusterCount);
        Assert.True(o.Preference <= -5);
        var e = Assert.Throws<InvalidOperationException>(() => PreferenceSearch.AtMost(2, 0, CountsAs(_ => 4)));
        Assert.Contains("at most 2 clusters", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PreferenceSearch.AtMost(0, 0, CountsAs(_ => 1)));
    }

    [Theory]
    [InlineData(false)] // below the window AP does not converge
    [InlineData(true)]  // ... or "converges" with every point its own exemplar (runaway availabilities)
    public void WhenAffinityPropagationStopsSettlingTheWindowAboveIsBisected(bool runawayConverges)
    {
        // 6 of 8 points are exemplars down to p = −2, 2 clusters only in (−2.3, −2], nothing meaningful below −2.3.
        var tried = new List<double>();
        AffinityPropagationResult At(double p)
        {
            tried.Add(p);
            int k = p > -2 ? 6 : p > -2.3 ? 2 : 0;
            if (k > 0) return new AffinityPropagationResult(Enumerable.Range(0, k).ToArray(), Enumerable.Range(0, 8).Select(i => i % k).ToArray(), 1, true);
            return new AffinityPropagationResult([0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7], 200, runawayConverges);
        }
        var o = PreferenceSearch.AtMost(3, 0.6, At);
        Assert.Equal(2, o.Result.ClusterCount);
        Assert.InRange(o.Preference, -2.3, -2.0);
        Assert.False(o.Merged);
        Assert.True(tried.Count < 40, $"{tried.Count} tries: the doubling should stop once AP stops settling");
    }

    [Fact]
    public void ACapNoPreferenceMeetsIsMergedDownToWhenAMergeIsGiven()
    {
        AffinityPropagationResult? mergedFrom = null;
        var o = PreferenceSearch.AtMost(2, 0, p => p > -3 ? CountsAs(_ => 5)(p) : new AffinityPropagationResult([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 200, false),
            r => { mergedFrom = r; return new AffinityPropagationResult([0, 3], [0, 0, 0, 1, 1], r.Iterations, true); });
        Assert.True(o.Merged);
        Assert.Equal(2, o.Result.ClusterCount);
        Assert.Equal(5, mergedFrom!.ClusterCount); // the converged result with the fewest clusters was merged
        Assert.Throws<InvalidOperationException>(() => PreferenceSearch.AtMost(2, 0, CountsAs(_ => 5), r => r)); // a merge that does not merge is caught
    }

    [Fact]
    public void AverageLinkageJoinsTheMostSimilarClustersFirstAndIsDeterministic()
    {
        // Points 0–1, 2–3 and 4 on a line: similarity −distance. Starting from singletons, two merges join {0,1} and {2,3}.
        double[] x = [0, 0.1, 1, 1.15, 5];
        int n = x.Length;
        var s = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i * n + j] = -Math.Abs(x[i] - x[j]);
        var singletons = new AffinityPropagationResult([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 1, false);
        var three = ClusterMerging.AverageLinkage(s, n, singletons, 3);
        Assert.Equal([0, 0, 1, 1, 2], three.Labels);
        Assert.Equal([0, 2, 4], three.Exemplars);
        Assert.True(three.Converged);
        Assert.Equal([0, 0, 0, 0, 1], ClusterMerging.AverageLinkage(s, n, singletons, 2).Labels);
        Assert.Equal([0, 0, 0, 0, 0], ClusterMerging.AverageLinkage(s, n, three, 1).Labels);
        Assert.Equal(three.Labels, ClusterMerging.AverageLinkage(s, n, three, 4).Labels); // already under the cap: unchanged
        Assert.Throws<ArgumentException>(() => ClusterMerging.AverageLinkage(s, n - 1, singletons, 2));
    }

    [Fact]
    public void TinyCapsOnRealGroupsAlwaysHold()
    {
        // Many weakly related groups: AP stops finding exemplars before it gets down to 1–2 clusters, so the cap
        // relies on the merge (this failed with an internal error before).
        var rng = new KnotRandom(5);
        var layout = new GroupLayout(8, 300);
        var w = new float[layout.Size];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextNormal();
        foreach (int cap in new[] { 1, 2, 3 })
        {
            var (map, _, _) = GroupTying.ByAffinityPropagation(w, layout, new AffinityPropagationOptions(), maxClusters: cap);
            Assert.InRange(map.ClusterCount, 1, cap);
        }
    }

    /// <summary>Six noisy copies of each of eight prototypes: a cap of 4 must merge prototypes, and copies stay together.</summary>
    [Fact]
    public void CapsRealAffinityPropagationOnGroupsAndReportsThePreference()
    {
        var rng = new KnotRandom(77);
        var layout = new GroupLayout(16, 48);
        var protos = Enumerable.Range(0, 8).Select(_ => ProxTestUtilShim.Random(rng, 16)).ToArray();
        var w = new float[layout.Size];
        for (int j = 0; j < 48; j++) layout.SetGroup(w, j, protos[j % 8].Select(x => x + 0.01f * (float)rng.NextNormal()).ToArray());

        var free = GroupTying.ByAffinityPropagation(w, layout, new AffinityPropagationOptions(), maxClusters: 0);
        Assert.Equal(8, free.Map.ClusterCount);
        Assert.Equal(0.6, free.Preference);

        var (capped, preference, merged) = GroupTying.ByAffinityPropagation(w, layout, new AffinityPropagationOptions(), maxClusters: 4);
        Assert.False(merged);
        Assert.InRange(capped.ClusterCount, 1, 4);
        Assert.True(preference < 0.6);
        for (int j = 0; j < 48; j++) Assert.Equal(capped.Labels[j % 8], capped.Labels[j]);
    }

    [Fact]
    public void StructureRecordsTheSearchedPreferenceAndOldFilesStillRead()
    {
        var layer = new LayerStructure("fc1.weight", [2, 3], [0, -1, 0], -1.25);
        var json = GrowlStructure.ToJson([layer]);
        Assert.Contains("\"Preference\":-1.25", json);
        Assert.Equal(-1.25, GrowlStructure.FromJson(json, "t.json")[0].Preference);
        var plain = GrowlStructure.ToJson([layer with { Preference = null }]);
        Assert.DoesNotContain("Preference", plain);
        Assert.Null(GrowlStructure.FromJson("""[{"Name":"fc1.weight","Shape":[2,3],"Labels":[0,-1,0]}]""", "old.json")[0].Preference);
    }

    [Fact]
    public void PerLayerCapsOverrideTheDefaultAndMustNameATiedLayer()
    {
        var o = new TyingOptions { MaxClusters = 32, LayerMaxClusters = new Dictionary<string, int> { ["conv2"] = 8 } };
        Assert.Equal(8, o.MaxClustersFor("conv2.weight"));
        Assert.Equal(32, o.MaxClustersFor("fc1.weight"));
        o.CheckLayers(["conv2.weight", "fc1.weight"]);
        Assert.Contains("'conv2'", Assert.Throws<ArgumentException>(() => o.CheckLayers(["fc1.weight"])).Message);
        Assert.Contains("conv2", Assert.Throws<ArgumentException>(() => new TyingOptions { LayerMaxClusters = new Dictionary<string, int> { ["conv2"] = -2 } }.Validate()).Message);
        Assert.Throws<ArgumentException>(() => new TyingOptions { Method = "tolerance", LayerMaxClusters = new Dictionary<string, int> { ["fc1"] = 4 } }.Validate());
    }

    [Fact]
    public void ACompressionTargetIsACapOfGroupsOverRatioAndTheSmallerCapHolds()
    {
        var ratio = new TyingOptions { TargetCompression = 24 };
        Assert.Equal(32, ratio.MaxClustersFor("fc1.weight", 784)); // ⌊784 / 24⌋: 24.5× ≥ 24×
        Assert.Equal(1, ratio.MaxClustersFor("fc1.weight", 10)); // never below one cluster
        Assert.Equal(20, (ratio with { MaxClusters = 20 }).MaxClustersFor("fc1.weight", 784));
        Assert.Equal(32, (ratio with { MaxClusters = 40 }).MaxClustersFor("fc1.weight", 784));
        var perLayer = new TyingOptions { TargetCompression = 24, LayerTargetCompression = new Dictionary<string, double> { ["conv2"] = 5 } };
        Assert.Equal(4, perLayer.MaxClustersFor("conv2.weight", 20));
        Assert.Equal(0, new TyingOptions().MaxClustersFor("fc1.weight", 784)); // no cap at all
        Assert.Contains("--compression names layer 'conv2'", Assert.Throws<ArgumentException>(() => perLayer.CheckLayers(["fc1.weight"])).Message);
        foreach (var bad in new[] { 0.5, double.NaN, double.PositiveInfinity, -2 })
            Assert.Contains("--compression", Assert.Throws<ArgumentException>(() => new TyingOptions { TargetCompression = bad }.Validate()).Message);
        Assert.Contains("--tie-method ap", Assert.Throws<ArgumentException>(() => new TyingOptions { Method = "tolerance", TargetCompression = 4 }.Validate()).Message);
    }

    [Fact]
    public void ClusterCapNeedsAffinityPropagationAndANonNegativeValue()
    {
        Assert.Contains("--clusters", Assert.Throws<ArgumentException>(() => new TyingOptions { MaxClusters = -1 }.Validate()).Message);
        Assert.Contains("--tie-method ap", Assert.Throws<ArgumentException>(() => new TyingOptions { Method = "tolerance", MaxClusters = 5 }.Validate()).Message);
        new TyingOptions { MaxClusters = 5 }.Validate();
    }
}
