using System.Text.Json.Nodes;
using Knot.Compression.SoftSharing;
using Knot.Models;
using Knot.Storage.Compressed;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>`knot sws` through Program.Main on a tiny checkpoint and IDX files: exit codes, the JSON report and the .knot file.</summary>
public sealed class SwsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-swscli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WritesTheKnotFileAndReportsTheRealRatio()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        Data.DataTestFiles.WriteIdxSplit(data, "train", 60, 16, 16);
        Data.DataTestFiles.WriteIdxSplit(data, "t10k", 20, 16, 16);
        string ckpt = Path.Combine(_dir, "pre.ckpt");
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 16, 16, 10);
        TrainingRun.Run(new TrainRequest { Spec = spec, Epochs = 1, BatchSize = 20, OutPath = ckpt }, SyntheticData.Create(40, 1, 16, 16), null);
        string knot = Path.Combine(_dir, "out.knot");

        var (code, stdout) = RunCli("sws", "--from", ckpt, "--data", "idx:" + data, "--epochs", "1", "--batch-size", "20", "--threads", "1",
            "--components", "4", "--assign", "ml", "--out", knot, "--json");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(stdout)!.AsObject();
        long fileBytes = json["file_bytes"]!.GetValue<long>();
        Assert.Equal(new FileInfo(knot).Length, fileBytes);
        Assert.Equal(json["dense_bytes"]!.GetValue<long>() / (double)fileBytes, json["ratio"]!.GetValue<double>(), 9);
        Assert.Equal(4L * 1 * ((256 * 30 + 30) + (30 * 10 + 10) + (10 * 10 + 10)), json["dense_bytes"]!.GetValue<long>());
        Assert.True(json["codebook_size"]!.GetValue<int>() is >= 1 and <= 5);
        Assert.InRange(json["nonzero_fraction"]!.GetValue<double>(), 0, 1);
        foreach (var key in new[] { "test_accuracy", "accuracy_pretrained", "accuracy_retrained", "paper_ratio", "paper_layers", "history" })
            Assert.True(json.ContainsKey(key), $"JSON lacks {key}");
        Assert.True(File.Exists(SoftSharingPipeline.CheckpointPathFor(knot)));
        Assert.Single(KnotFile.Read(knot).Codebooks);

        Assert.Equal(1, RunCli("sws", "--from", ckpt, "--data", "idx:" + data, "--assign", "nearest", "--out", knot, "--json").Code);
        Assert.Equal(1, RunCli("sws", "--from", Path.Combine(_dir, "missing.ckpt"), "--data", "idx:" + data, "--out", knot).Code);
    }

    // Through the harness's console lock: Console.Out is process-wide and other CLI tests run in parallel.
    private static (int Code, string Stdout) RunCli(params string[] args)
    {
        var (code, stdout, _) = Cli.CliHarness.Run(args);
        return (code, stdout);
    }
}
