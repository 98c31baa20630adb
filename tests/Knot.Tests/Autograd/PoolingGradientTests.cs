using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class PoolingGradientTests
{
    private readonly KnotRandom _rng = new(777);

    /// <summary>Distinct values 0.05 apart (shuffled): a ±eps = 1e-2 nudge never changes which input is the max.</summary>
    private Tensor WithoutTies(params int[] dims)
    {
        var t = Tensor.Zeros(dims);
        var order = new int[t.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        _rng.Shuffle(order);
        for (int i = 0; i < order.Length; i++) t.Data[i] = 0.05f * (order[i] - order.Length / 2);
        t.RequiresGrad = true;
        return t;
    }

    [Fact] public void MaxPool2x2() => GradCheck.AssertGradients(x => Op.MaxPool2d(x[0], 2), 1e-2, 1e-3, WithoutTies(2, 3, 6, 6));

    [Fact] public void MaxPoolOverlappingWithPadding() =>
        GradCheck.AssertGradients(x => Op.MaxPool2d(x[0], 3, 2, 1), 1e-2, 1e-3, WithoutTies(2, 2, 7, 6));

    [Fact] public void MaxPoolOddSizeDropsTheRemainder() => GradCheck.AssertGradients(x => Op.MaxPool2d(x[0], 2), 1e-2, 1e-3, WithoutTies(1, 2, 5, 7));

    [Fact] public void AvgPool() => GradCheck.AssertGradients(x => Op.AvgPool2d(x[0], 2), GradCheck.Random(_rng, 2, 3, 6, 5));

    [Fact] public void AvgPoolOverlappingWithPadding() => GradCheck.AssertGradients(x => Op.AvgPool2d(x[0], 3, 2, 1), GradCheck.Random(_rng, 2, 2, 7, 7));

    [Fact] public void GlobalAvgPool() => GradCheck.AssertGradients(x => Op.GlobalAvgPool2d(x[0]), GradCheck.Random(_rng, 3, 4, 3, 5));

    [Fact]
    public void ForwardValuesAndShapes()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 1, 1, 4, 4);
        var max = Op.MaxPool2d(x, 2);
        Assert.Equal(new Shape(1, 1, 2, 2), max.Shape);
        Assert.Equal([6f, 8f, 14f, 16f], max.Data);
        var avg = Op.AvgPool2d(x, 2);
        Assert.Equal([3.5f, 5.5f, 11.5f, 13.5f], avg.Data);
        var global = Op.GlobalAvgPool2d(x);
        Assert.Equal(new Shape(1, 1), global.Shape);
        Assert.Equal(8.5f, global.Data[0]);
        // Padding counts as zeros in the average (count_include_pad): corner window sees 1, 2, 5, 6 out of 9.
        var padded = Op.AvgPool2d(x, 3, 1, 1);
        Assert.Equal(14f / 9f, padded.Data[0], 6);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var x = Tensor.Zeros(1, 1, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(x, 2, 2, 2));
        Assert.Contains("padding 2x2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros(4, 4), 2));
        Assert.Contains("(4, 4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Op.AvgPool2d(x, 5));
        Assert.Contains("5x5", e.Message);
        Assert.Throws<ArgumentException>(() => Op.GlobalAvgPool2d(Tensor.Zeros(2, 3)));
    }
}
