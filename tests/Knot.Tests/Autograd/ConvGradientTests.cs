using Knot.Autograd;
using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class ConvGradientTests
{
    private readonly KnotRandom _rng = new(4321);

    [Fact]
    public void Conv2dStride2PaddingBias() =>
        GradCheck.AssertGradients(x => Op.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1), 1e-2, 1e-2,
            GradCheck.Random(_rng, 2, 3, 7, 6), GradCheck.Random(_rng, 4, 3, 3, 3), GradCheck.Random(_rng, 4));

    [Fact]
    public void Conv2dStride1NoBias() =>
        GradCheck.AssertGradients(x => Op.Conv2d(x[0], x[1], null), 1e-2, 1e-2,
            GradCheck.Random(_rng, 3, 2, 6, 6), GradCheck.Random(_rng, 3, 2, 3, 3));

    [Fact]
    public void Conv2dPointwise() =>
        GradCheck.AssertGradients(x => Op.Conv2d(x[0], x[1], x[2]), 1e-2, 1e-2,
            GradCheck.Random(_rng, 2, 4, 3, 5), GradCheck.Random(_rng, 3, 4, 1, 1), GradCheck.Random(_rng, 3));

    [Fact]
    public void Conv2dRectangularStrideAndPadding() =>
        GradCheck.AssertGradients(x => Op.Conv2d(x[0], x[1], x[2], 2, 1, 0, 2), 1e-2, 1e-2,
            GradCheck.Random(_rng, 2, 2, 7, 5), GradCheck.Random(_rng, 2, 2, 3, 4), GradCheck.Random(_rng, 2));

    [Fact]
    public void Conv2dSingleInputChannelFiveByFive() =>
        GradCheck.AssertGradients(x => Op.Conv2d(x[0], x[1], x[2]), 1e-2, 1e-2,
            GradCheck.Random(_rng, 2, 1, 8, 8), GradCheck.Random(_rng, 3, 1, 5, 5), GradCheck.Random(_rng, 3));

    [Fact]
    public void ConvThenPoolThenLinearChain()
    {
        // A small LeNet-shaped chain (smooth ops only, so no kink sits inside the finite-difference step):
        // gradients must flow through every op back into the first conv's weight.
        var x = GradCheck.Random(_rng, 2, 1, 10, 10);
        x.RequiresGrad = false;
        GradCheck.AssertGradients(t => Op.Linear(Op.Flatten(Op.Conv2d(Op.AvgPool2d(Op.Conv2d(x, t[0], t[1]), 2), t[2], null, 2, 1)), t[3], null), 1e-2, 2e-2,
            GradCheck.Random(_rng, 3, 1, 3, 3), GradCheck.Random(_rng, 3), GradCheck.Random(_rng, 2, 3, 3, 3), GradCheck.Random(_rng, 4, 2 * 2 * 2));
    }

    [Fact]
    public void ShapeErrorsNameExpectedAndActual()
    {
        var x = Tensor.Zeros(2, 3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => Op.Conv2d(x, Tensor.Zeros(4, 2, 3, 3), null));
        Assert.Contains("3 channels", e.Message);
        Assert.Contains("(4, 2, 3, 3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Op.Conv2d(x, Tensor.Zeros(4, 3, 3, 3), Tensor.Zeros(5)));
        Assert.Contains("(4)", e.Message);
        Assert.Contains("(5)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros(2, 3, 8), Tensor.Zeros(4, 3, 3, 3), null));
        Assert.Contains("(2, 3, 8)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Op.Conv2d(x, Tensor.Zeros(4, 3, 9, 9), null));
        Assert.Contains("9x9", e.Message);
        Assert.Throws<ArgumentException>(() => Op.Conv2d(x, Tensor.Zeros(4, 3, 3, 3), null, stride: 0));
        Assert.Throws<ArgumentException>(() => Op.Conv2d(x, Tensor.Zeros(4, 3, 3, 3), null, padding: -1));
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = GradCheck.Random(_rng, 1, 1, 4, 4);
        var w = GradCheck.Random(_rng, 1, 1, 3, 3);
        using (GradMode.NoGrad())
        {
            var y = Op.Conv2d(x, w, null);
            Assert.Null(y.GradFn);
            Assert.False(y.RequiresGrad);
        }
    }

    [Fact]
    public void SteadyStateTrainingStepsRentNoNewArenaMemory()
    {
        var arena = new TensorArena();
        var x = GradCheck.Random(_rng, 4, 1, 12, 12);
        x.RequiresGrad = false;
        var w1 = GradCheck.Random(_rng, 3, 1, 3, 3);
        var w2 = GradCheck.Random(_rng, 2, 3, 3, 3);
        long Step()
        {
            arena.Reset();
            using var _ = arena.Activate();
            var h = Op.MaxPool2d(Op.Relu(Op.Conv2d(x, w1, null, padding: 1)), 2);
            var y = Op.Mean(Op.Square(Op.Conv2d(h, w2, null, stride: 2, padding: 1)));
            y.Backward();
            return arena.PooledBytes;
        }
        long first = Step();
        Assert.Equal(first, Step());
        Assert.Equal(first, Step());
    }
}
