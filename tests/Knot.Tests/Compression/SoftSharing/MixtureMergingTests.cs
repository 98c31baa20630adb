using Knot.Compression.SoftSharing;

namespace Knot.Tests.Compression.SoftSharing;

public sealed class MixtureMergingTests
{
    [Fact]
    public void KlIsZeroForEqualGaussiansAndMatchesTheClosedForm()
    {
        var p = new MixtureComponent(0.3, 100, 0.1);
        Assert.Equal(0, MixtureMerging.KlDivergence(p, p), 1e-15);
        var q = new MixtureComponent(0.1, 25, 0.2);
        // log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½ with σp = 0.1, σq = 0.2.
        double expected = Math.Log(0.2 / 0.1) + (0.01 + 0.04) / (2 * 0.04) - 0.5;
        Assert.Equal(expected, MixtureMerging.KlDivergence(p, q), 1e-12);
    }

    [Fact]
    public void NearDuplicatesMergeWithPiWeightedMeanAndVarianceAndTotalPiIsKept()
    {
        MixtureComponent[] comps =
        [
            new(0, 2500, 0.9),
            new(0.2, 400, 0.03),
            new(0.2001, 400, 0.01),      // KL to the previous ≈ 2e-6
            new(-0.3, 400, 0.04),
            new(0.20005, 401, 0.02),     // joins the 0.2 group transitively
        ];

        var merged = MixtureMerging.Merge(comps, klThreshold: 1e-3);

        Assert.Equal(3, merged.Length);
        Assert.Equal(comps.Sum(c => c.Mixing), merged.Sum(c => c.Mixing), 1e-15);
        Assert.Equal(comps[0], merged[0]);
        double pi = 0.06;
        Assert.Equal(pi, merged[1].Mixing, 1e-15);
        Assert.Equal((0.03 * 0.2 + 0.01 * 0.2001 + 0.02 * 0.20005) / pi, merged[1].Mean, 1e-12);
        Assert.Equal((0.03 / 400 + 0.01 / 400 + 0.02 / 401) / pi, merged[1].Variance, 1e-12);
        Assert.Equal(comps[3], merged[2]);

        // The tutorial's tiny threshold leaves them apart.
        Assert.Equal(5, MixtureMerging.Merge(comps, MixtureMerging.TutorialKlThreshold).Length);
    }

    [Fact]
    public void ComponentsAtZeroFoldIntoTheZeroComponentWhoseMeanStaysExactlyZero()
    {
        MixtureComponent[] comps =
        [
            new(0, 2500, 0.9),
            new(0.004, 2400, 0.05),     // near zero: folded by the tolerance
            new(0.5, 400, 0.05),
        ];

        var merged = MixtureMerging.Merge(comps, klThreshold: 0, zeroTolerance: 0.01);

        Assert.Equal(2, merged.Length);
        Assert.Equal(0.0, merged[0].Mean);
        Assert.Equal(0.95, merged[0].Mixing, 1e-15);
        Assert.Equal(1.0, merged.Sum(c => c.Mixing), 1e-15);
        Assert.Equal(0.5, merged[1].Mean);

        // A KL merge that involves the zero component also keeps 0 exact.
        var viaKl = MixtureMerging.Merge([new(0, 2500, 0.9), new(1e-6, 2500, 0.1)], klThreshold: 1e-3);
        Assert.Single(viaKl);
        Assert.Equal(0.0, viaKl[0].Mean);
        Assert.Equal(1.0, viaKl[0].Mixing, 1e-15);
    }

    [Fact]
    public void RejectsMixturesWithoutAZeroComponentFirst()
    {
        var ex = Assert.Throws<ArgumentException>(() => MixtureMerging.Merge([new(0.1, 1, 1)], 1e-3));
        Assert.Contains("zero component", ex.Message);
        Assert.Throws<ArgumentException>(() => MixtureMerging.Merge([new(0, 1, 1)], -1));
        Assert.Throws<ArgumentException>(() => MixtureMerging.Merge([new(0, 0, 1)], 1));
    }
}
