using Knot.Compression.Quantization;
using Knot.Tensors;

namespace Knot.Tests.Compression.Quantization;

public sealed class KMeans1DTests
{
    private static float[] RandomWeights(ulong seed, int n)
    {
        var rng = new KnotRandom(seed);
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(rng.NextNormal() * 0.1);
        return w;
    }

    [Fact]
    public void SeparatedClustersAreFoundExactly()
    {
        float[] values = [-1.0f, -1.1f, -0.9f, 2.0f, 2.2f, 1.8f, 5f];
        var r = KMeans1D.Fit(values, 3);
        Assert.True(r.Converged);
        Assert.Equal(-1.0f, r.Codebook[0], 5);
        Assert.Equal(2.0f, r.Codebook[1], 5);
        Assert.Equal(5.0f, r.Codebook[2], 5);
        Assert.Equal([0, 0, 0, 1, 1, 1, 2], r.Assignments);
    }

    [Fact]
    public void FixedPointIsLloydOptimal()
    {
        var values = RandomWeights(5, 4000);
        var r = KMeans1D.Fit(values, 16, maxIterations: 1000);
        Assert.True(r.Converged);
        for (int j = 1; j < 16; j++) Assert.True(r.Codebook[j] >= r.Codebook[j - 1]);
        // Every value is assigned to a nearest centroid, and every used centroid is the mean of its members.
        for (int i = 0; i < values.Length; i++)
        {
            float own = MathF.Abs(values[i] - r.Codebook[r.Assignments[i]]);
            foreach (var c in r.Codebook) Assert.True(own <= MathF.Abs(values[i] - c) + 1e-6f);
        }
        for (int j = 0; j < 16; j++)
        {
            var members = values.Where((_, i) => r.Assignments[i] == j).ToArray();
            if (members.Length > 0) Assert.Equal(members.Average(v => (double)v), r.Codebook[j], 5);
        }
    }

    [Fact]
    public void SingleIterationShowsLinearInitialisation()
    {
        // After one iteration the assignment is to the linearly spaced initial centroids over [min, max] = [0, 9]
        // (0, 3, 6, 9): boundaries 1.5, 4.5, 7.5.
        float[] values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        var r = KMeans1D.Fit(values, 4, maxIterations: 1);
        Assert.Equal([0, 0, 1, 1, 1, 2, 2, 2, 3, 3], r.Assignments);
        Assert.False(r.Converged);
    }

    [Fact]
    public void IsDeterministicAndIndependentOfInputOrder()
    {
        var values = RandomWeights(9, 2000);
        var a = KMeans1D.Fit(values, 8);
        var b = KMeans1D.Fit(values, 8);
        Assert.Equal(a.Codebook, b.Codebook);
        Assert.Equal(a.Assignments, b.Assignments);
        var reversed = values.Reverse().ToArray();
        var c = KMeans1D.Fit(reversed, 8);
        Assert.Equal(a.Codebook, c.Codebook);
        Assert.Equal(a.Assignments, c.Assignments.Reverse());
    }

    [Fact]
    public void MoreCentroidsThanDistinctValuesAndConstantInput()
    {
        var r = KMeans1D.Fit([1f, 1f, 2f], 5);
        Assert.Equal(1f, r.Codebook[r.Assignments[0]]);
        Assert.Equal(2f, r.Codebook[r.Assignments[2]]);
        var constant = KMeans1D.Fit([3f, 3f, 3f], 4);
        Assert.All(constant.Assignments, a => Assert.Equal(3f, constant.Codebook[a]));
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Throws<ArgumentException>(() => KMeans1D.Fit([], 2));
        Assert.Throws<ArgumentException>(() => KMeans1D.Fit([1f, float.NaN], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeans1D.Fit([1f], 0));
    }

    [Fact]
    public void LayerQuantizationSkipsPrunedWeightsAndSumsCentroidGradients()
    {
        float[] w = [0.5f, 0f, -0.5f, 0.52f, 0f, -0.48f];
        bool[] keep = [true, false, true, true, false, true];
        var layer = LayerQuantizer.Quantize(w, keep, 2);
        Assert.Equal([1, QuantizedLayer.Pruned, 0, 1, QuantizedLayer.Pruned, 0], layer.Indices);
        Assert.Equal(-0.49f, layer.Codebook[0], 5);
        Assert.Equal(0.51f, layer.Codebook[1], 5);
        var written = new float[6];
        layer.WriteWeights(written);
        Assert.Equal([0.51f, 0f, -0.49f, 0.51f, 0f, -0.49f], written);

        float[] grads = [1f, 100f, 2f, 3f, 100f, 4f];
        var g = new float[2];
        layer.SumGradients(grads, g);
        Assert.Equal([6f, 4f], g);
        layer.StepCentroids(grads, 0.01f);
        Assert.Equal(-0.49f - 0.06f, layer.Codebook[0], 5);
        Assert.Equal(0.51f - 0.04f, layer.Codebook[1], 5);
    }

    [Fact]
    public void CentroidsForBitsIsTwoToTheBits() => Assert.Equal(64, LayerQuantizer.CentroidsForBits(6));
}
