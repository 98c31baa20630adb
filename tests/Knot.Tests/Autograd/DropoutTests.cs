using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class DropoutTests
{
    private readonly KnotRandom _rng = new(55);

    [Fact]
    public void GradientWithAFixedMask() =>
        // A fresh generator with the same seed in every evaluation draws the same mask.
        GradCheck.AssertGradients(x => Op.Dropout(x[0], 0.4f, new KnotRandom(3), training: true), GradCheck.Random(_rng, 6, 7));

    [Fact]
    public void BackwardUsesTheSavedMask()
    {
        var x = GradCheck.Random(_rng, 200);
        for (int i = 0; i < x.Length; i++) x.Data[i] = 1f + i; // no zeros, so y/x recovers the mask
        var rng = new KnotRandom(8);
        var y = Op.Dropout(x, 0.25f, rng, training: true);
        _ = Op.Dropout(x, 0.25f, rng, training: true); // a second draw must not disturb the first node's mask
        var dy = GradCheck.Random(_rng, 200);
        y.Backward(dy);
        int dropped = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float factor = y.Data[i] / x.Data[i];
            if (factor == 0f) dropped++;
            else Assert.Equal(1f / 0.75f, factor, 5);
            Assert.Equal(factor * dy.Data[i], x.Grad!.Data[i], 5);
        }
        Assert.InRange(dropped, 25, 75); // p = 0.25 of 200 → 50 expected
    }

    [Fact]
    public void SameSeedSameMaskAndKeepRateNearOneMinusP()
    {
        var x = Tensor.Full(1f, 10000);
        var a = Op.Dropout(x, 0.3f, new KnotRandom(42), training: true);
        var b = Op.Dropout(x, 0.3f, new KnotRandom(42), training: true);
        Assert.Equal(a.Data, b.Data);
        int kept = a.Data.Count(v => v != 0f);
        Assert.InRange(kept, 6800, 7200);
        Assert.All(a.Data, v => Assert.True(v == 0f || Math.Abs(v - 1 / 0.7f) < 1e-6f)); // survivors scaled by 1/(1 − p)
        var c = Op.Dropout(x, 0.3f, new KnotRandom(43), training: true);
        Assert.NotEqual(a.Data, c.Data);
    }

    [Fact]
    public void EvalAndZeroPAreIdentityAndPOneDropsEverything()
    {
        var x = GradCheck.Random(_rng, 10);
        Assert.Same(x, Op.Dropout(x, 0.5f, new KnotRandom(1), training: false));
        Assert.Same(x, Op.Dropout(x, 0f, new KnotRandom(1), training: true));
        Assert.All(Op.Dropout(x, 1f, new KnotRandom(1), training: true).Data, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => Op.Dropout(x, 1.5f, new KnotRandom(1), training: true));
        Assert.Throws<ArgumentException>(() => Op.Dropout(x, float.NaN, new KnotRandom(1), training: true));
    }

    [Fact]
    public void LayerOwnsItsGeneratorAndIsIdentityInEval()
    {
        var layer = new Knot.Nn.Dropout(0.5f, seed: 7);
        var x = Tensor.Full(1f, 64);
        var first = layer.Forward(x).Data.ToArray();
        var second = layer.Forward(x).Data.ToArray();
        Assert.NotEqual(first, second); // the generator advances between steps
        var replay = new Knot.Nn.Dropout(0.5f, seed: 7);
        Assert.Equal(first, replay.Forward(x).Data);
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
    }
}
