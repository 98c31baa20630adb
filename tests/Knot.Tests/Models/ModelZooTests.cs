using Knot.Autograd;
using Knot.Models;
using Knot.Tensors;

namespace Knot.Tests.Models;

public sealed class ModelZooTests
{
    /// <summary>Weights = parameters of rank ≥ 2 (FC and conv kernels), as METHODS.md §5 counts them.</summary>
    private static long Weights(Knot.Nn.Module m) => m.NamedParameters().Where(p => p.Parameter.Shape.Rank >= 2).Sum(p => (long)p.Parameter.Value.Length);

    [Theory]
    [InlineData("lenet-300-100", 266_200)]
    [InlineData("lenet-5-caffe", 430_500)]
    [InlineData("growl-mnist", 238_200)]
    public void MnistNetworksHaveThePapersWeightCounts(string name, long expected) => Assert.Equal(expected, Weights(ModelZoo.Create(name, 1)));

    [Fact]
    public void CifarNetworksHaveThePapersWeightCounts()
    {
        Assert.InRange(Weights(ModelZoo.Create("vgg16-cifar", 1)), 14_970_000, 14_990_000);
        Assert.InRange(Weights(ModelZoo.Create("wrn-16-4", 1)), 2_740_000, 2_760_000);
    }

    [Fact]
    public void LeNet300100HasPyTorchStyleNames()
    {
        var names = ModelZoo.Create("lenet-300-100", 1).NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], names);
    }

    [Theory]
    [InlineData("lenet-300-100")]
    [InlineData("growl-mnist")]
    [InlineData("lenet-5-caffe")]
    [InlineData("vgg16-cifar")]
    [InlineData("wrn-16-4")]
    public void TinyVersionsRunForwardAndBackward(string name)
    {
        var spec = ModelZoo.DefaultSpec(name, 0.125f);
        var model = ModelZoo.Create(spec, new KnotRandom(3));
        var x = Tensor.Zeros(2, spec.InputChannels, spec.InputHeight, spec.InputWidth);
        var rng = new KnotRandom(4);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextNormal();
        var logits = model.Forward(x);
        Assert.Equal(new Shape(2, 10), logits.Shape);
        Knot.Autograd.Ops.Op.CrossEntropy(logits, [1, 7]).Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Value.Grad));
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = ModelZoo.Create("lenet-5-caffe", 9).Parameters();
        var b = ModelZoo.Create("lenet-5-caffe", 9).Parameters();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Value.Data, b[i].Value.Data);
    }

    [Fact]
    public void UnknownModelListsKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet-50", 1));
        Assert.Contains("lenet-300-100", ex.Message);
    }
}
