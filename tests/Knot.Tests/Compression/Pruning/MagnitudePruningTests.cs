using Knot.Compression.Pruning;

namespace Knot.Tests.Compression.Pruning;

public sealed class MagnitudePruningTests
{
    [Fact]
    public void QualityThresholdIsQualityTimesPopulationStd()
    {
        float[] w = [1, -1, 1, -1]; // mean 0, std 1
        Assert.Equal(0.7f, MagnitudePruning.QualityThreshold(w, 0.7), 6);
        float[] v = [2, 4, 4, 4, 5, 5, 7, 9]; // std 2
        Assert.Equal(2f, MagnitudePruning.QualityThreshold(v, 1.0), 6);
    }

    [Fact]
    public void MaskByQualityRemovesWeightsBelowTheThreshold()
    {
        float[] w = [0.1f, -2f, 0.5f, -0.05f, 3f, 0f];
        var keep = new bool[w.Length];
        float t = MagnitudePruning.QualityThreshold(w, 0.3);
        int kept = MagnitudePruning.MaskByQuality(w, 0.3, keep);
        Assert.Equal(w.Count(x => MathF.Abs(x) >= t), kept);
        for (int i = 0; i < w.Length; i++) Assert.Equal(MathF.Abs(w[i]) >= t, keep[i]);
        MagnitudePruning.ApplyMask(w, keep);
        for (int i = 0; i < w.Length; i++) if (!keep[i]) Assert.Equal(0f, w[i]);
    }

    [Fact]
    public void MaskBySparsityPrunesExactlyTheRequestedCountEvenWithTies()
    {
        float[] w = [0f, 0f, 0f, 0f, 1f, -1f, 1f, 2f, -3f, 0.5f];
        var keep = new bool[w.Length];
        Assert.Equal(3, MagnitudePruning.MaskBySparsity(w, 0.7, keep));
        // Four zeros, 0.5, then the tied ±1 at indices 4 and 5 (lower index first); the 1 at index 6 survives.
        Assert.Equal([false, false, false, false, false, false, true, true, true, false], keep);
        Assert.Equal(10, MagnitudePruning.MaskBySparsity(w, 0, keep));
        Assert.Equal(0, MagnitudePruning.MaskBySparsity(w, 1, keep));
        Assert.Equal(0, MagnitudePruning.CountKept(keep));
    }

    [Fact]
    public void IntersectCombinesRoundsAndLengthsAreChecked()
    {
        bool[] a = [true, true, false];
        MagnitudePruning.Intersect(a, [true, false, true]);
        Assert.Equal([true, false, false], a);
        Assert.Throws<ArgumentException>(() => MagnitudePruning.ApplyMask(new float[3], new bool[2]));
        Assert.Throws<ArgumentException>(() => MagnitudePruning.MaskByThreshold([float.NaN], 0.1f, new bool[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudePruning.MaskBySparsity([1f], 1.5, new bool[1]));
    }
}
