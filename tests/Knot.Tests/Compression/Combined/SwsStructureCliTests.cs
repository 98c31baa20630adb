using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Knot.Models;
using Knot.Storage.Compressed;
using Knot.Tests.Cli;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.Combined;

/// <summary>`knot sws` on a GrOWL checkpoint: where the structure comes from, the JSON's GrOWL numbers, and bad input.</summary>
public sealed class SwsStructureCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-swsgrowl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TakesTheStructureFromTheCheckpointOrAFileAndReportsIt()
    {
        string data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"), trainCount: 96, testCount: 32);
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 28, 28, 10);
        var train = SyntheticData.Create(96, seed: 1);
        var pre = TrainingRun.Run(new TrainRequest { Spec = spec, Epochs = 1, BatchSize = 32, Seed = 3 }, train, null);
        var structure = CombinedTestStructures.Random(pre.Model, ["fc1.weight", "fc2.weight"], seed: 4);
        string structureFile = Path.Combine(_dir, "structure.json");
        File.WriteAllText(structureFile, GrowlStructure.ToJson(structure));
        string plainCkpt = Path.Combine(_dir, "plain.ckpt");
        ModelCheckpoint.Save(plainCkpt, spec, pre.Model, 1, 3);
        GrowlStructure.Attach(pre.Model, structure);
        string growlCkpt = Path.Combine(_dir, "retrained.ckpt");
        ModelCheckpoint.Save(growlCkpt, spec, pre.Model, 1, 3, extraMetadata: new Dictionary<string, string> { ["structure"] = GrowlStructure.ToJson(structure) });
        string[] Args(string from, string outName, params string[] extra) =>
            ["sws", "--from", from, "--data", "idx:" + data, "--epochs", "1", "--batch-size", "32", "--threads", "1", "--components", "4",
             "--out", Path.Combine(_dir, outName), "--json", .. extra];

        // Default: the structure stored in the checkpoint.
        var (code, stdout, stderr) = CliHarness.Run(Args(growlCkpt, "auto.knot"));
        Assert.True(code == 0, stderr);
        var json = JsonNode.Parse(stdout)!.AsObject();
        var growl = json["growl"]!.AsObject();
        Assert.EndsWith("(metadata)", growl["structure_source"]!.GetValue<string>());
        long covered = growl["covered_weights"]!.GetValue<long>(), distinct = growl["distinct_weights"]!.GetValue<long>();
        Assert.True(distinct > 0 && distinct < covered, $"distinct {distinct} of {covered}");
        Assert.True(growl["stored_parameters"]!.GetValue<long>() < growl["parameters"]!.GetValue<long>());
        Assert.Equal(2, growl["layers"]!.AsArray().Count);
        Assert.True(growl["removed_outputs"]!.AsObject().ContainsKey("fc1"), "fc2's zero inputs remove fc1 outputs");
        Assert.Equal("growl+soft-weight-sharing", KnotFile.Read(Path.Combine(_dir, "auto.knot")).Metadata["knot.method"]);

        // An explicit file on a checkpoint without one gives the same compression (same weights, same structure).
        (code, stdout, stderr) = CliHarness.Run(Args(plainCkpt, "file.knot", "--structure", structureFile));
        Assert.True(code == 0, stderr);
        json = JsonNode.Parse(stdout)!.AsObject();
        Assert.Equal(structureFile, json["growl"]!["structure_source"]!.GetValue<string>());
        Assert.Equal(distinct, json["growl"]!["distinct_weights"]!.GetValue<long>());

        // --no-structure: plain soft weight-sharing of every weight.
        (code, stdout, stderr) = CliHarness.Run(Args(growlCkpt, "plain.knot", "--no-structure"));
        Assert.True(code == 0, stderr);
        json = JsonNode.Parse(stdout)!.AsObject();
        Assert.False(json.ContainsKey("growl"));
        Assert.Equal(covered, json["quantized_weights"]!.GetValue<long>());
        Assert.Equal("soft-weight-sharing", KnotFile.Read(Path.Combine(_dir, "plain.knot")).Metadata["knot.method"]);

        // Bad input.
        Assert.Equal(1, CliHarness.Run(Args(growlCkpt, "x.knot", "--structure", Path.Combine(_dir, "missing.json"))).Code);
        Assert.Equal(1, CliHarness.Run(Args(growlCkpt, "x.knot", "--structure", structureFile, "--no-structure")).Code);
        string wrong = Path.Combine(_dir, "wrong.json");
        File.WriteAllText(wrong, """[{"Name":"fc1.weight","Shape":[30,784],"Labels":[0,1]}]""");
        var bad = CliHarness.Run(Args(growlCkpt, "x.knot", "--structure", wrong));
        Assert.Equal(2, bad.Code);
        Assert.Contains("wrong.json", bad.Err);
        string otherShape = Path.Combine(_dir, "shape.json");
        File.WriteAllText(otherShape, GrowlStructure.ToJson([new LayerStructure("fc1.weight", [30, 10], new int[10])]));
        Assert.Equal(2, CliHarness.Run(Args(growlCkpt, "x.knot", "--structure", otherShape)).Code);
    }
}
