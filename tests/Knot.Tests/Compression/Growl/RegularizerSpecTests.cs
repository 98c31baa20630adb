using Knot.Compression.Growl;
using Knot.Models;
using Knot.Tensors;

namespace Knot.Tests.Compression.Growl;

public sealed class RegularizerSpecTests
{
    [Fact]
    public void PerLayerLambdaOverridesTheDefaultForThatLayerOnly()
    {
        var model = ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(1));
        var spec = new RegularizerSpec
        {
            Kind = "group-lasso", Lambda1 = 0.01, LayerLambda1 = new Dictionary<string, double> { ["fc1"] = 50 }, Layers = ["fc1", "fc2"],
        };
        spec.Validate();
        Assert.Equal((50.0, spec.Lambda2), spec.LambdasFor("fc1.weight"));
        Assert.Equal((0.01, spec.Lambda2), spec.LambdasFor("fc2.weight"));
        Assert.Contains("fc1=50", spec.Describe(), StringComparison.Ordinal);

        // The same prox step zeroes fc1's columns and leaves fc2's alone.
        var targets = spec.Targets("lenet-300-100", model);
        var dead = targets.Select(t =>
        {
            var op = (Knot.Compression.Proximal.IGroupProximalOperator)spec.CreateOperator(t.Parameter, t.Name);
            op.Apply(t.Parameter.Value.Data, 0.01f);
            return op.DeadCount;
        }).ToArray();
        Assert.Equal(targets[0].Parameter.Shape[1], dead[0]);
        Assert.Equal(0, dead[1]);
    }

    [Fact]
    public void PerLayerLambdaForAnUnregularizedLayerOrOutOfRangeIsAnError()
    {
        var model = ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(1));
        var spec = new RegularizerSpec { Kind = "growl", LayerLambda2 = new Dictionary<string, double> { ["fc3"] = 0.1 }, Layers = ["fc1"] };
        Assert.Contains("fc3", Assert.Throws<ArgumentException>(() => spec.Targets("lenet-300-100", model)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => (spec with { LayerLambda1 = new Dictionary<string, double> { ["fc1"] = 0 } }).Validate());
        Assert.Throws<ArgumentException>(() => (spec with { LayerLambda2 = new Dictionary<string, double> { ["fc1"] = double.NaN } }).Validate());
    }
}
