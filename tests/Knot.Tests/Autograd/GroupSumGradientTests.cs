using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

/// <summary>GroupSum (a finalized GrOWL layer's tied inputs): gradients, and values against a slow reference.</summary>
public sealed class GroupSumGradientTests
{
    private readonly KnotRandom _rng = new(4242);
    private static readonly int[] Labels = [2, -1, 0, 2, 1, -1, 0, 2];

    [Fact] public void FeaturesGradient() => GradCheck.AssertGradients(x => Op.GroupSum(x[0], Labels, 3), GradCheck.Random(_rng, 4, 8));

    [Fact] public void ChannelsGradient() => GradCheck.AssertGradients(x => Op.GroupSum(x[0], Labels, 3), GradCheck.Random(_rng, 2, 8, 3, 2));

    [Theory]
    [InlineData(new[] { 5, 8 })]
    [InlineData(new[] { 3, 8, 2, 3 })]
    public void MatchesTheDefinition(int[] dims)
    {
        var x = GradCheck.Random(_rng, dims);
        var y = Op.GroupSum(x, Labels, 3);
        int n = dims[0], inner = dims.Length == 4 ? dims[2] * dims[3] : 1;
        for (int s = 0; s < n; s++)
            for (int g = 0; g < 3; g++)
                for (int k = 0; k < inner; k++)
                {
                    double expected = 0;
                    for (int j = 0; j < Labels.Length; j++)
                        if (Labels[j] == g) expected += x.Data[(s * Labels.Length + j) * inner + k];
                    Assert.Equal(expected, y.Data[(s * 3 + g) * inner + k], 1e-5);
                }
    }

    [Fact]
    public void ALabelOutsideTheGroupsIsRejectedBeforeAnyWork()
    {
        var e = Assert.Throws<ArgumentException>(() => Op.GroupSum(Tensor.Zeros(2, 8), [0, 0, 0, 0, 0, 0, 0, 3], 3));
        Assert.Contains("label 3 of input 7", e.Message, StringComparison.Ordinal);
    }
}
