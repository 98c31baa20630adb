using Knot.Autograd;
using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class CoreOpGradientTests
{
    private readonly KnotRandom _rng = new(1234);

    [Fact] public void Add() => GradCheck.AssertGradients(x => Op.Add(x[0], x[1]), GradCheck.Random(_rng, 3, 4), GradCheck.Random(_rng, 3, 4));
    [Fact] public void Sub() => GradCheck.AssertGradients(x => Op.Sub(x[0], x[1]), GradCheck.Random(_rng, 5), GradCheck.Random(_rng, 5));
    [Fact] public void Mul() => GradCheck.AssertGradients(x => Op.Mul(x[0], x[1]), GradCheck.Random(_rng, 2, 7), GradCheck.Random(_rng, 2, 7));
    [Fact] public void Affine() => GradCheck.AssertGradients(x => Op.Affine(x[0], -2.5f, 1f), GradCheck.Random(_rng, 9));
    [Fact] public void Exp() => GradCheck.AssertGradients(x => Op.Exp(x[0]), 1e-3, 1e-2, GradCheck.Random(_rng, 6));
    [Fact] public void Square() => GradCheck.AssertGradients(x => Op.Square(x[0]), GradCheck.Random(_rng, 6));

    [Fact]
    public void Log()
    {
        var x = GradCheck.Random(_rng, 8);
        for (int i = 0; i < x.Length; i++) x.Data[i] = 1.5f + x.Data[i];
        GradCheck.AssertGradients(t => Op.Log(t[0]), 1e-3, 1e-2, x);
    }

    [Fact]
    public void Relu()
    {
        var x = GradCheck.Random(_rng, 4, 5);
        for (int i = 0; i < x.Length; i++) if (MathF.Abs(x.Data[i]) < 0.05f) x.Data[i] = 0.3f; // keep away from the kink
        GradCheck.AssertGradients(t => Op.Relu(t[0]), 1e-2, 1e-2, x);
    }

    [Fact] public void Sum() => GradCheck.AssertGradients(x => Op.Sum(x[0]), GradCheck.Random(_rng, 3, 3));
    [Fact] public void Mean() => GradCheck.AssertGradients(x => Op.Mean(x[0]), GradCheck.Random(_rng, 4, 2));
    [Fact] public void ReshapeAndFlatten() => GradCheck.AssertGradients(x => Op.Mul(Op.Flatten(Op.Reshape(x[0], 2, 3, 2)), x[1]), GradCheck.Random(_rng, 12), GradCheck.Random(_rng, 2, 6));
    [Fact] public void MatMul() => GradCheck.AssertGradients(x => Op.MatMul(x[0], x[1]), GradCheck.Random(_rng, 3, 5), GradCheck.Random(_rng, 5, 4));

    [Fact] public void LinearWithBias() => GradCheck.AssertGradients(x => Op.Linear(x[0], x[1], x[2]), GradCheck.Random(_rng, 4, 7), GradCheck.Random(_rng, 3, 7), GradCheck.Random(_rng, 3));
    [Fact] public void LinearWithoutBias() => GradCheck.AssertGradients(x => Op.Linear(x[0], x[1], null), GradCheck.Random(_rng, 1, 5), GradCheck.Random(_rng, 6, 5));

    [Fact]
    public void CrossEntropyFused()
    {
        int[] labels = [2, 0, 4, 4, 1];
        var logits = GradCheck.Random(_rng, 5, 5);
        for (int i = 0; i < logits.Length; i++) logits.Data[i] *= 3;
        GradCheck.AssertGradients(x => Op.CrossEntropy(x[0], labels), 1e-2, 1e-2, logits);
    }

    [Fact]
    public void CrossEntropyIsStableForHugeLogits()
    {
        var logits = Tensor.FromArray([1e30f, 0f, -1e30f, 5f, 5f, 5f], 2, 3);
        var loss = Op.CrossEntropy(logits, [0, 1]);
        Assert.True(float.IsFinite(loss.Item()));
        Assert.Equal((0 + Math.Log(3)) / 2, loss.Item(), 5);
    }

    [Fact]
    public void SharedInputAccumulatesGradient()
    {
        // y = x·x + x  → dy/dx = 2x + 1 : the same input reached twice must sum both contributions.
        var x = GradCheck.Random(_rng, 5);
        GradCheck.AssertGradients(t => Op.Add(Op.Mul(t[0], t[0]), t[0]), x);
    }

    [Fact]
    public void CheckerDetectsAWrongBackward()
    {
        var x = GradCheck.Random(_rng, 6);
        var result = GradCheck.Check(t => WrongSquare(t[0]), [x]);
        Assert.False(result.Ok);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = GradCheck.Random(_rng, 3);
        using (GradMode.NoGrad())
        {
            var y = Op.Square(x);
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.NotNull(Op.Square(x).GradFn);
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = GradCheck.Random(_rng, 4);
        Op.Sum(x).Backward();
        Op.Sum(x).Backward();
        Assert.All(x.Grad!.Data, g => Assert.Equal(2f, g));
    }

    [Fact]
    public void ShapeMismatchIsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Add(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)));
        Assert.Contains("(2, 3)", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Op.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5), null));
        Assert.Contains("3 features", ex2.Message);
    }

    /// <summary>x² with a backward that forgets the factor 2 — the checker must notice.</summary>
    private static Tensor WrongSquare(Tensor a)
    {
        var y = Op.Mul(a, Tensor.FromArray((float[])a.Data.Clone(), a.Shape.ToArray()));
        return y; // d/da of a·const(a) = a, not 2a
    }
}
