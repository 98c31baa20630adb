using Knot.Storage.Checkpoints;
using Knot.Storage.Interop;

namespace Knot.Tests.Storage.Interop;

public sealed class TensorNameMapTests
{
    private static OrderedDictionary<string, StoredTensor> Names(params string[] names)
    {
        var d = new OrderedDictionary<string, StoredTensor>();
        foreach (var n in names) d[n] = new StoredTensor([1], [0f]);
        return d;
    }

    [Fact]
    public void RulesApplyInOrder()
    {
        var map = new TensorNameMap().Select("model").StripWrapperPrefixes().ReplacePrefix("features.0.", "conv1.")
            .Rename("classifier.weight", "fc.weight").Drop(n => n.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        Assert.Equal("fc1.weight", map.Map("model.module.fc1.weight"));
        Assert.Equal("fc1.weight", map.Map("model._orig_mod.module.fc1.weight"));
        Assert.Equal("conv1.bias", map.Map("model.features.0.bias"));
        Assert.Equal("fc.weight", map.Map("model.classifier.weight"));
        Assert.Null(map.Map("model.bn.num_batches_tracked"));
        Assert.Null(map.Map("optimizer.state.0.momentum_buffer"));
        Assert.Null(map.Map("model"));
    }

    [Fact]
    public void CollisionsAreReported()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorNameMap().StripPrefix("module.").Apply(Names("module.w", "w"), "x.pt"));
        Assert.Contains("x.pt: both 'module.w' and 'w' map to 'w'", e.Message);
    }

    [Fact]
    public void WeightMatchListsMissingUnexpectedAndShapeMismatches()
    {
        var loaded = Names("a", "b", "extra");
        var expected = new Dictionary<string, int[]> { ["a"] = [1], ["b"] = [2], ["c"] = [1] };
        var m = WeightMatch.Compare(loaded, expected);
        Assert.Equal(["c"], m.Missing);
        Assert.Equal(["extra"], m.Unexpected);
        Assert.Equal(["b: file (1), model (2)"], m.ShapeMismatches);
        Assert.False(m.IsExact);
        var e = Assert.Throws<InvalidDataException>(() => m.ThrowIfNotExact("w.pt"));
        Assert.Equal("w.pt: the weights do not match the model (missing 1: 'c'; unexpected 1: 'extra'; shape mismatches 1: b: file (1), model (2)).", e.Message);
        Assert.True(WeightMatch.Compare(Names("a"), new Dictionary<string, int[]> { ["a"] = [1] }).IsExact);
        WeightMatch.Compare(Names("a", "x"), new Dictionary<string, int[]> { ["a"] = [1] }).ThrowIfNotExact("w.pt", allowUnexpected: true);
    }
}
