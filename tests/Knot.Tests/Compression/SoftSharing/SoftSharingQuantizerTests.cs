using Knot.Compression.SoftSharing;
using Knot.Tensors;

namespace Knot.Tests.Compression.SoftSharing;

public sealed class SoftSharingQuantizerTests
{
    [Fact]
    public void EverySnappedWeightIsACodebookValueAndTheZeroComponentGivesExactZero()
    {
        MixtureComponent[] comps = [new(0, 2500, 0.9), new(-0.31, 400, 0.05), new(0.27, 400, 0.05), new(0.9, 400, 0.0)];
        var rng = new KnotRandom(4);
        float[] a = MixtureTestModel.RandomWeights(rng, 200, 0.3);
        float[] b = MixtureTestModel.RandomWeights(rng, 77, 0.3);
        var before = (float[])a.Clone();

        var q = SoftSharingQuantizer.Quantize([a, b], comps, ComponentAssignment.MaximumAPosteriori);

        Assert.Equal(before, a);                   // inputs untouched
        Assert.Equal(0f, q.Codebook[0]);
        Assert.Equal(q.Codebook.Distinct().Count(), q.Codebook.Length);
        for (int t = 0; t < 2; t++)
        {
            var src = t == 0 ? a : b;
            for (int i = 0; i < src.Length; i++)
            {
                float v = q.Weights[t][i];
                Assert.Equal(q.Codebook[q.Indices[t][i]], v);
                int c = SoftSharingQuantizer.Assign(comps, src[i], ComponentAssignment.MaximumAPosteriori);
                Assert.Equal(c == 0 ? 0f : (float)comps[c].Mean, v);
            }
        }

        long nonZero = q.Weights.Sum(w => w.LongCount(v => v != 0));
        Assert.Equal(277, q.WeightCount);
        Assert.Equal(nonZero, q.NonZeroCount);
        Assert.Equal((double)nonZero / 277, q.NonZeroFraction);
        Assert.Equal(q.Weights.SelectMany(w => w).Distinct().Count(), q.DistinctValues);
        Assert.DoesNotContain(0.9f, q.Codebook);   // π = 0: never chosen under MAP, so not in the book
    }

    [Fact]
    public void MapAndMlDisagreeWhenTheMixingProportionsDecide()
    {
        // Equal widths; w = 0.2 is closer to 0.3 (likelihood) but π0 = 0.999 outweighs it: log 999 ≈ 6.9 > 1.5.
        MixtureComponent[] comps = [new(0, 100, 0.999), new(0.3, 100, 0.001)];
        Assert.Equal(0, SoftSharingQuantizer.Assign(comps, 0.2f, ComponentAssignment.MaximumAPosteriori));
        Assert.Equal(1, SoftSharingQuantizer.Assign(comps, 0.2f, ComponentAssignment.MaximumLikelihood));

        var map = SoftSharingQuantizer.Quantize([0.2f, 0.4f], comps, ComponentAssignment.MaximumAPosteriori);
        var ml = SoftSharingQuantizer.Quantize([0.2f, 0.4f], comps, ComponentAssignment.MaximumLikelihood);
        Assert.Equal([0f, 0.3f], map.Weights[0]);
        Assert.Equal([0.3f, 0.3f], ml.Weights[0]);
        Assert.Equal(0.5, map.NonZeroFraction);
        Assert.Equal(1.0, ml.NonZeroFraction);
    }

    [Fact]
    public void MergeThenQuantizeAPriorEndToEnd()
    {
        var prior = GaussianMixturePrior.FromRange(-0.5, 0.5, new GaussianMixturePriorOptions { LearnedComponents = 4 });
        prior.Means[1] = prior.Means[2] = 0.2f;                   // two learned components on top of each other
        var merged = MixtureMerging.Merge(prior.GetComponents(), 1e-6);
        Assert.Equal(4, merged.Length);

        var q = SoftSharingQuantizer.Quantize([-0.5f, -0.01f, 0.19f, 0.21f, 0.6f], merged, ComponentAssignment.MaximumLikelihood);
        Assert.Equal([-0.5f, 0f, 0.2f, 0.2f, 0.5f], q.Weights[0]);
        Assert.Equal(4, q.DistinctValues);
        Assert.Equal([0f, -0.5f, 0.2f, 0.5f], q.Codebook);
    }

    [Fact]
    public void BadInputsGetClearErrors()
    {
        MixtureComponent[] comps = [new(0, 1, 1)];
        Assert.Throws<ArgumentException>(() => SoftSharingQuantizer.Quantize([float.NaN], comps, ComponentAssignment.MaximumLikelihood));
        Assert.Throws<ArgumentException>(() => SoftSharingQuantizer.Quantize([0f], [new MixtureComponent(1, 1, 1)], ComponentAssignment.MaximumLikelihood));
        Assert.Throws<ArgumentException>(() => SoftSharingQuantizer.Quantize([0f], comps, (ComponentAssignment)7));
    }
}
