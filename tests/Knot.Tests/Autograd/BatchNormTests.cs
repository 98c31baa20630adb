using Knot.Autograd.Ops;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class BatchNormTests
{
    private readonly KnotRandom _rng = new(99);

    private static Tensor Stats(int c, float value)
    {
        var t = Tensor.Full(value, c);
        return t;
    }

    [Fact]
    public void Train1dGradientFlowsThroughBatchStatistics() =>
        GradCheck.AssertGradients(x => Op.BatchNorm(x[0], x[1], x[2], Stats(3, 0), Stats(3, 1), training: true), 1e-3, 1e-2,
            Scaled(GradCheck.Random(_rng, 5, 3), 2f, 0.5f), GradCheck.Random(_rng, 3), GradCheck.Random(_rng, 3));

    [Fact]
    public void Train2dGradientFlowsThroughBatchStatistics() =>
        GradCheck.AssertGradients(x => Op.BatchNorm(x[0], x[1], x[2], Stats(2, 0), Stats(2, 1), training: true), 1e-3, 1e-2,
            Scaled(GradCheck.Random(_rng, 3, 2, 2, 3), 1.5f, -0.3f), GradCheck.Random(_rng, 2), GradCheck.Random(_rng, 2));

    [Fact]
    public void TrainWithoutAffine() =>
        GradCheck.AssertGradients(x => Op.BatchNorm(x[0], null, null, Stats(2, 0), Stats(2, 1), training: true), 1e-3, 1e-2,
            GradCheck.Random(_rng, 4, 2, 3));

    [Fact]
    public void Eval1dGradient() =>
        GradCheck.AssertGradients(x => Op.BatchNorm(x[0], x[1], x[2], Stats(3, 0.2f), Stats(3, 0.7f), training: false),
            GradCheck.Random(_rng, 4, 3), GradCheck.Random(_rng, 3), GradCheck.Random(_rng, 3));

    [Fact]
    public void Eval2dGradient() =>
        GradCheck.AssertGradients(x => Op.BatchNorm(x[0], x[1], x[2], Stats(2, -0.1f), Stats(2, 2f), training: false),
            GradCheck.Random(_rng, 2, 2, 3, 3), GradCheck.Random(_rng, 2), GradCheck.Random(_rng, 2));

    [Fact]
    public void TrainGradientIsOrthogonalToShiftAndScaleOfEachChannel()
    {
        // With batch statistics, shifting or scaling a channel's inputs does not change the output, so
        // Σ dx = 0 and Σ dx·x̂ = 0 per channel. An eval-style backward (dx = γ·invStd·dy) fails both.
        var x = Scaled(GradCheck.Random(_rng, 6, 2, 2, 2), 3f, 1f);
        var gamma = GradCheck.Random(_rng, 2);
        var y = Op.BatchNorm(x, gamma, null, Stats(2, 0), Stats(2, 1), training: true);
        var dy = GradCheck.Random(_rng, 6, 2, 2, 2);
        y.Backward(dy);
        for (int c = 0; c < 2; c++)
        {
            double mean = 0, sumDx = 0, sumDxX = 0;
            for (int n = 0; n < 6; n++) for (int s = 0; s < 4; s++) mean += x.Data[(n * 2 + c) * 4 + s] / 24.0;
            for (int n = 0; n < 6; n++)
                for (int s = 0; s < 4; s++)
                {
                    int i = (n * 2 + c) * 4 + s;
                    sumDx += x.Grad!.Data[i];
                    sumDxX += x.Grad.Data[i] * (x.Data[i] - mean);
                }
            Assert.Equal(0, sumDx, 4);
            Assert.Equal(0, sumDxX, 4);
        }
    }

    [Fact]
    public void TrainOutputAndRunningStatisticsMatchHandComputation()
    {
        // Channel 0: 1, 2, 3, 6 → mean 3, biased var 3.5, unbiased 14/3. Channel 1: 0, 0, 4, 4 → mean 2, var 4, unbiased 16/3.
        var x = Tensor.FromArray([1, 0, 2, 0, 3, 4, 6, 4], 4, 2);
        var rm = Tensor.FromArray([1f, -1f], 2);
        var rv = Tensor.FromArray([2f, 0.5f], 2);
        var gamma = Tensor.FromArray([2f, 1f], 2);
        var beta = Tensor.FromArray([0.5f, -1f], 2);
        var y = Op.BatchNorm(x, gamma, beta, rm, rv, training: true, momentum: 0.1f, eps: 1e-5f);
        Assert.Equal(0.9f * 1f + 0.1f * 3f, rm.Data[0], 6);
        Assert.Equal(0.9f * -1f + 0.1f * 2f, rm.Data[1], 6);
        Assert.Equal(0.9 * 2 + 0.1 * 14.0 / 3, rv.Data[0], 5);
        Assert.Equal(0.9 * 0.5 + 0.1 * 16.0 / 3, rv.Data[1], 5);
        Assert.Equal(2 * (1 - 3) / Math.Sqrt(3.5 + 1e-5) + 0.5, y.Data[0], 5);
        Assert.Equal(1 * (4 - 2) / Math.Sqrt(4 + 1e-5) - 1, y.Data[7], 5);
    }

    [Fact]
    public void EvalUsesRunningStatisticsAndLeavesThemAlone()
    {
        var x = Tensor.FromArray([1, 0, 2, 0, 3, 4], 3, 2);
        var rm = Tensor.FromArray([0.5f, -1f], 2);
        var rv = Tensor.FromArray([4f, 0.25f], 2);
        var y = Op.BatchNorm(x, Tensor.FromArray([2f, 1f], 2), Tensor.FromArray([0f, 1f], 2), rm, rv, training: false);
        Assert.Equal(2 * (3 - 0.5) / Math.Sqrt(4 + 1e-5), y.Data[4], 5);
        Assert.Equal((4 + 1) / Math.Sqrt(0.25 + 1e-5) + 1, y.Data[5], 4);
        Assert.Equal([0.5f, -1f], rm.Data);
        Assert.Equal([4f, 0.25f], rv.Data);
    }

    [Fact]
    public void LayersRegisterPyTorchNamesAndSwitchModes()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().ConvertAll(p => p.Name));
        Assert.Equal(["running_mean", "running_var"], bn.NamedBuffers().ConvertAll(b => b.Name));
        Assert.All(bn.Weight!.Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.RunningVar.Data, v => Assert.Equal(1f, v));

        var x = Scaled(GradCheck.Random(_rng, 4, 3, 2, 2), 2f, 5f);
        var trainOut = bn.Forward(x);
        Assert.NotEqual(0f, bn.RunningMean.Data[0]);
        var snapshot = (float[])bn.RunningMean.Data.Clone();
        bn.Eval();
        var evalOut = bn.Forward(x);
        Assert.Equal(snapshot, bn.RunningMean.Data);
        Assert.NotEqual(trainOut.Data, evalOut.Data);

        var bn1 = new BatchNorm1d(5, affine: false);
        Assert.Empty(bn1.NamedParameters());
        Assert.Equal(new Shape(2, 5), bn1.Forward(GradCheck.Random(_rng, 2, 5)).Shape);
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        var bn2 = new BatchNorm2d(3);
        var e = Assert.Throws<ArgumentException>(() => bn2.Forward(Tensor.Zeros(2, 4, 2, 2)));
        Assert.Contains("3 channels", e.Message);
        Assert.Contains("(2, 4, 2, 2)", e.Message);
        Assert.Throws<ArgumentException>(() => bn2.Forward(Tensor.Zeros(2, 3)));
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros(2, 4, 2, 2)));
        // One value per channel cannot give a batch variance (PyTorch refuses too).
        e = Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros(1, 4)));
        Assert.Contains("more than one value", e.Message);
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(0));
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(3, eps: 0f));
    }

    private static Tensor Scaled(Tensor t, float scale, float shift)
    {
        for (int i = 0; i < t.Length; i++) t.Data[i] = t.Data[i] * scale + shift;
        return t;
    }
}
