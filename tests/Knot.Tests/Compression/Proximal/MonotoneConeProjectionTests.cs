using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

public sealed class MonotoneConeProjectionTests
{
    private static double[] Project(double[] d)
    {
        var x = new double[d.Length];
        OwlProxSolver.ProjectMonotoneNonNegative(d, x, new double[d.Length], new int[d.Length]);
        return x;
    }

    [Fact]
    public void BacktrackingMergeFromMethodsPitfall()
    {
        // A single forward pass would give [1, 1.75, 1.75]; PAVA must merge back into the first block.
        Assert.Equal(new[] { 1.5, 1.5, 1.5 }, Project([1, 0.5, 3]));
    }

    [Fact]
    public void SimpleCases()
    {
        Assert.Equal(new[] { 3.0, 2, 1 }, Project([3, 2, 1]));
        Assert.Equal(new[] { 0.0, 0, 0 }, Project([-1, -2, -3]));
        Assert.Equal(new[] { 2.0, 0, 0 }, Project([2, -1, -3]));
        Assert.Equal(new[] { 0.5, 0.5, 0 }, Project([0, 1, -1]));
        // Mean of the pooled block is negative -> clipped to zero as a whole.
        Assert.Equal(new[] { 0.0, 0.0 }, Project([-3, 1]));
        Assert.Equal(new[] { 2.0, 2, 2 }, Project([2, 2, 2]));
    }

    [Fact]
    public void MatchesExhaustiveReferenceOnRandomInputsWithTies()
    {
        var rng = new KnotRandom(11);
        for (int trial = 0; trial < 400; trial++)
        {
            int n = 1 + rng.NextInt(8);
            var d = new double[n];
            for (int i = 0; i < n; i++) d[i] = (rng.NextInt(9) - 3) * 0.5; // small grid: many ties and sign changes
            var expected = ProxTestUtil.BruteForceProjection(d);
            var actual = Project(d);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-9, $"trial {trial}, d=[{string.Join(", ", d)}]: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        }
    }
}
