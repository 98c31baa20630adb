using Knot.Compression.Proximal;

namespace Knot.Tests.Compression.Proximal;

public sealed class OwlWeightsTests
{
    [Fact]
    public void FamiliesFollowMethodsTable()
    {
        Assert.Equal(new[] { 2f, 2, 2 }, OwlWeights.GroupLasso(3, 2).Values.ToArray());
        // OSCAR: Λ1 + Λ2 (n − i), i = 1..n
        Assert.Equal(new[] { 1.6f, 1.4f, 1.2f, 1f }, OwlWeights.Oscar(4, 1, 0.2).Values.ToArray());
        // PLD n = 10, ρ = 0.5 -> p = 5: Λ1 + (p − i)Λ2 for i ≤ 5, then Λ1
        Assert.Equal(new[] { 5f, 4, 3, 2, 1, 1, 1, 1, 1, 1 }, OwlWeights.Pld(10, 1, 1, 0.5).Values.ToArray());
        // p = floor(0.25 * 7) = 1
        Assert.Equal(new[] { 1f, 1, 1, 1, 1, 1, 1 }, OwlWeights.Pld(7, 1, 3, 0.25).Values.ToArray());
        Assert.Equal(new[] { 3f, 1, 1 }, OwlWeights.Spike(3, 2, 1).Values.ToArray());
        Assert.Equal(new[] { 3f, 3, 0 }, OwlWeights.Explicit([3, 3, 0]).Values.ToArray());
        Assert.Equal(new[] { 0.5f, 0.25f }, OwlWeights.Explicit([2, 1]).Scaled(0.25).Values.ToArray());
        Assert.Equal(OwlWeights.Pld(10, 1, 1, 0.5).Values.ToArray(), OwlWeights.Create(OwlFamily.Pld, 10, 1, 1, 0.5).Values.ToArray());
        Assert.Equal(OwlWeights.Oscar(5, 1, 0.5).Values.ToArray(), OwlWeights.Create(OwlFamily.Oscar, 5, 1, 0.5).Values.ToArray());
        Assert.Equal(OwlWeights.Spike(5, 1, 0.5).Values.ToArray(), OwlWeights.Create(OwlFamily.Spike, 5, 1, 0.5).Values.ToArray());
        Assert.Equal("group-lasso", OwlWeights.Create(OwlFamily.GroupLasso, 5, 1).Family);
    }

    [Fact]
    public void InvalidSequencesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => OwlWeights.Explicit([1, 2]));
        Assert.Throws<ArgumentException>(() => OwlWeights.Explicit([1, -1]));
        Assert.Throws<ArgumentException>(() => OwlWeights.Explicit([0, 0]));
        Assert.Throws<ArgumentException>(() => OwlWeights.Explicit([float.NaN]));
        Assert.Throws<ArgumentException>(() => OwlWeights.Explicit([float.PositiveInfinity, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OwlWeights.Explicit([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OwlWeights.Pld(4, 1, 1, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => OwlWeights.Oscar(4, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OwlWeights.GroupLasso(0, 1));
        Assert.Throws<ArgumentException>(() => OwlWeights.GroupLasso(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => OwlWeights.Explicit([1]).Scaled(0));
    }

    [Fact]
    public void PerEpochLambdaSpreadsOverSteps()
    {
        Assert.Equal(12.0 / 469, LambdaScale.PerStepFromPerEpoch(12, 469), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => LambdaScale.PerStepFromPerEpoch(12, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LambdaScale.PerStepFromPerEpoch(double.NaN, 3));
    }
}
