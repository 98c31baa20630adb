using System.Text.Json.Nodes;
using Knot.Models;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Cli;

/// <summary>`knot run FILE.knot --baseline CKPT`: the original network is timed and evaluated next to the file.</summary>
[Collection(SerialCollection.Name)]
public sealed class RunBaselineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void BaselineIsEvaluatedAndTimedNextToTheCompressedFile()
    {
        string data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 28, 28, 10);
        string ckpt = Path.Combine(_dir, "m.ckpt"), knot = Path.Combine(_dir, "m.knot");
        ModelCheckpoint.Save(ckpt, spec, ModelZoo.Create(spec, new KnotRandom(3)), 1, 1);
        Assert.Equal(0, CliHarness.Run("pack", ckpt, "--out", knot).Code);

        var r = CliHarness.Run("run", knot, "--data", "mnist:" + data, "--baseline", ckpt, "--repeats", "1", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = JsonNode.Parse(r.Out)!;
        var baseline = j["baseline"]!;
        // The packed file holds the same (uncompressed) network: identical accuracy, and a positive measured ratio.
        Assert.Equal((double)j["dense_test_accuracy"]!, (double)baseline["test_accuracy"]!, 12);
        Assert.Equal(ModelZoo.Create(spec, new KnotRandom(1)).ParameterCount(), (long)baseline["parameters"]!);
        Assert.True((double)baseline["speedup"]! > 0);

        var missing = CliHarness.Run("run", knot, "--data", "mnist:" + data, "--baseline", Path.Combine(_dir, "nope.ckpt"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.ckpt", missing.Err, StringComparison.Ordinal);
    }
}
