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

        var (capped, preference) = GroupTying.ByAffinityPropagation(w, layout, new AffinityPropagationOptions(), maxClusters: 4);
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
    public void ClusterCapNeedsAffinityPropagationAndANonNegativeValue()
    {
        Assert.Contains("--clusters", Assert.Throws<ArgumentException>(() => new TyingOptions { MaxClusters = -1 }.Validate()).Message);
        Assert.Contains("--tie-method ap", Assert.Throws<ArgumentException>(() => new TyingOptions { Method = "tolerance", MaxClusters = 5 }.Validate()).Message);
        new TyingOptions { MaxClusters = 5 }.Validate();
    }
}
