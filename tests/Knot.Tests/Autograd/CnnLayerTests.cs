using Knot.Nn;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

public sealed class CnnLayerTests
{
    [Fact]
    public void Conv2dLayerHasPyTorchShapesNamesAndInitBounds()
    {
        var conv = new Conv2d(20, 50, 5, new KnotRandom(1));
        Assert.Equal((20, 50, 5, 1, 0), (conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding));
        Assert.Equal(new Shape(50, 20, 5, 5), conv.Weight.Shape);
        Assert.Equal(["weight", "bias"], conv.NamedParameters().ConvertAll(p => p.Name));
        float bound = 1f / MathF.Sqrt(20 * 25);
        Assert.All(conv.Weight.Data.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.Data.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.Data.ToArray().Max() > 0.8f * bound); // the full range is used, not a narrower init

        var noBias = new Conv2d(3, 4, 3, 2, 1, false, new KnotRandom(2));
        Assert.Null(noBias.Bias);
        Assert.Equal(16, noBias.OutputSize(32));
        Assert.Equal(new Shape(2, 4, 16, 16), noBias.Forward(Tensor.Zeros(2, 3, 32, 32)).Shape);
        Assert.Throws<ArgumentException>(() => new Conv2d(0, 4, 3, new KnotRandom(1)));
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, new KnotRandom(1), stride: 0));
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = new Conv2d(3, 8, 3, new KnotRandom(9));
        var b = new Conv2d(3, 8, 3, new KnotRandom(9));
        Assert.Equal(a.Weight.Data.ToArray(), b.Weight.Data.ToArray());
    }

    [Fact]
    public void LeNet5CaffeForwardAndBackwardShapes()
    {
        var rng = new KnotRandom(5);
        var model = new Sequential(
            new Conv2d(1, 20, 5, rng), new MaxPool2d(2),
            new Conv2d(20, 50, 5, rng), new MaxPool2d(2),
            new Flatten(), new Linear(800, 500, rng), new ReLU(), new Linear(500, 10, rng));
        var x = Tensor.Zeros(3, 1, 28, 28);
        for (int i = 0; i < x.Length; i++) x.Data[i] = rng.NextSingle();
        var logits = model.Forward(x);
        Assert.Equal(new Shape(3, 10), logits.Shape);
        Knot.Autograd.Ops.Op.CrossEntropy(logits, [1, 2, 3]).Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(p.Shape, p.Grad.Shape);
            Assert.True(p.Grad.Data.Any(v => v != 0f), $"{name} got no gradient");
        }
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias", "7.weight", "7.bias"], model.NamedParameters().ConvertAll(p => p.Name));
    }

    [Fact]
    public void PoolingLayersExposeTheirWindow()
    {
        var max = new MaxPool2d(3, 2, 1);
        Assert.Equal((3, 2, 1), (max.KernelSize, max.Stride, max.Padding));
        Assert.Equal(2, new AvgPool2d(2).Stride);
        Assert.Equal(new Shape(2, 3, 4, 4), max.Forward(Tensor.Zeros(2, 3, 7, 7)).Shape);
        Assert.Equal(new Shape(2, 3), new GlobalAvgPool2d().Forward(Tensor.Zeros(2, 3, 7, 7)).Shape);
        Assert.Throws<ArgumentException>(() => new MaxPool2d(2, padding: 2));
        Assert.Throws<ArgumentException>(() => new AvgPool2d(0));
    }
}
