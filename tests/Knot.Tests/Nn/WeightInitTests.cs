using Knot.Models;
using Knot.Nn;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Nn;

public sealed class WeightInitTests
{
    private static Dictionary<string, float[]> Snapshot(Module m) =>
        m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Data.ToArray());

    private static (double Mean, double Std) Moments(ReadOnlySpan<float> v)
    {
        double sum = 0, sq = 0;
        foreach (float x in v) { sum += x; sq += (double)x * x; }
        double mean = sum / v.Length;
        return (mean, Math.Sqrt(sq / v.Length - mean * mean));
    }

    [Fact]
    public void PyTorchSchemeKeepsTheZooWeightsBitForBit()
    {
        var zoo = ModelZoo.Create("growl-mnist", seed: 5);
        var created = TrainingRun.CreateModel(ModelZoo.DefaultSpec("growl-mnist"), WeightInitScheme.PyTorch, 5);
        var a = Snapshot(zoo);
        foreach (var (name, values) in Snapshot(created)) Assert.Equal(a[name], values);
    }

    [Fact]
    public void GrowlReferenceDrawsNormalWeightsOnFanOutAndBiasesOfOneTenth()
    {
        var model = TrainingRun.CreateModel(ModelZoo.DefaultSpec("growl-mnist"), WeightInitScheme.GrowlReference, 3);
        var p = model.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        var (mean, std) = Moments(p["fc1.weight"].Data);
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, Math.Sqrt(2.0 / 300) * 0.98, Math.Sqrt(2.0 / 300) * 1.02); // fan_out = 300 units, not fan_in = 784
        (_, std) = Moments(p["fc2.weight"].Data);
        Assert.InRange(std, Math.Sqrt(2.0 / 10) * 0.9, Math.Sqrt(2.0 / 10) * 1.1);
        Assert.All(p["fc1.bias"].Data.ToArray(), b => Assert.Equal(0.1f, b));
        Assert.All(p["bn.weight"].Data.ToArray(), g => Assert.Equal(1f, g)); // BatchNorm is not a weight layer
        Assert.All(p["bn.bias"].Data.ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void ConvolutionFansCountTheKernel()
    {
        var model = TrainingRun.CreateModel(ModelZoo.DefaultSpec("lenet-5-caffe"), WeightInitScheme.KaimingNormal, 2);
        var p = model.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        var (_, std) = Moments(p["conv2.weight"].Data); // (50, 20, 5, 5): fan_in = 20·25
        Assert.InRange(std, Math.Sqrt(2.0 / 500) * 0.97, Math.Sqrt(2.0 / 500) * 1.03);
        Assert.All(p["conv2.bias"].Data.ToArray(), b => Assert.Equal(0f, b));
        var reference = TrainingRun.CreateModel(ModelZoo.DefaultSpec("lenet-5-caffe"), WeightInitScheme.GrowlReference, 2);
        (_, std) = Moments(reference.NamedParameters().Single(x => x.Name == "conv2.weight").Parameter.Data); // fan_out = 50·25
        Assert.InRange(std, Math.Sqrt(2.0 / 1250) * 0.97, Math.Sqrt(2.0 / 1250) * 1.03);
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndAnotherSeedOthers()
    {
        var spec = ModelZoo.DefaultSpec("lenet-300-100");
        var a = Snapshot(TrainingRun.CreateModel(spec, WeightInitScheme.GrowlReference, 9));
        var b = Snapshot(TrainingRun.CreateModel(spec, WeightInitScheme.GrowlReference, 9));
        var c = Snapshot(TrainingRun.CreateModel(spec, WeightInitScheme.GrowlReference, 10));
        foreach (var name in a.Keys) Assert.Equal(a[name], b[name]);
        Assert.NotEqual(a["fc1.weight"], c["fc1.weight"]);
    }

    [Theory]
    [InlineData("pytorch", WeightInitScheme.PyTorch)]
    [InlineData("GrOWL-Reference", WeightInitScheme.GrowlReference)]
    [InlineData(" kaiming-normal ", WeightInitScheme.KaimingNormal)]
    public void ParsesNamesAndRoundTrips(string text, WeightInitScheme expected)
    {
        Assert.Equal(expected, WeightInit.Parse(text));
        Assert.Equal(expected, WeightInit.Parse(WeightInit.Name(expected)));
    }

    [Fact]
    public void UnknownNamesListTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => WeightInit.Parse("glorot"));
        Assert.Contains("growl-reference", e.Message);
        Assert.Contains("'glorot'", e.Message);
    }
}
