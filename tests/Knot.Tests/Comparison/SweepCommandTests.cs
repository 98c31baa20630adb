using System.Text.Json.Nodes;
using Knot.Cli;
using Knot.Tests.Cli;

namespace Knot.Tests.Comparison;

/// <summary>`knot sweep` end to end on tiny generated data: real training points, real packed sizes, the files it keeps.</summary>
[Collection(SerialCollection.Name)]
public sealed class SweepCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-sweep-" + Guid.NewGuid().ToString("N"));
    private readonly string _data;

    public SweepCommandTests() => _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private (int Code, string Out, string Err) Sweep(string outDir, params string[] extra) =>
        CliHarness.Run(["sweep", "--model", "lenet-300-100", "--data", "idx:" + _data, "--out", outDir, "--epochs-per-point", "1", "--batch-size", "64",
            "--threads", "1", .. extra]);

    [Fact]
    public void L1SweepMeasuresRealFilesAndKeepsOnlyTheChosenPoint()
    {
        string outDir = Path.Combine(_dir, "l1");
        // Ratio 2 is easy to bracket: λ 0.05 leaves a dense file, λ of a few units zeroes most weights in one epoch.
        var r = Sweep(outDir, "--reg", "l1", "--target-ratio", "2", "--lambda-start", "0.05", "--factor", "4", "--max-points", "8", "--json");
        Assert.True(File.Exists(Path.Combine(outDir, "sweep.json")), r.Err);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json")))!.AsObject();
        bool success = json["success"]!.GetValue<bool>();
        Assert.True(success, json["message"]!.GetValue<string>());
        Assert.Equal(ExitCodes.Success, r.Code);
        var points = json["points"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.InRange(points.Count, 1, 8);
        long dense = json["dense_bytes"]!.GetValue<long>();
        long target = (long)Math.Round(dense / 2.0);
        Assert.Equal(target, json["target"]!["bytes"]!.GetValue<long>());
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            Assert.Equal(i, p["index"]!.GetValue<int>());
            Assert.Equal(1, p["epochs"]!.GetValue<int>());
            Assert.Equal((double)dense / p["bytes"]!.GetValue<long>(), p["ratio"]!.GetValue<double>(), 9);
            Assert.InRange(p["accuracy"]!.GetValue<double>(), 0, 1);
            Assert.InRange(p["sparsity"]!.GetValue<double>(), 0, 1);
            if (i > 0) Assert.InRange(p["from"]!.GetValue<int>(), 0, i - 1); // warm-started from an earlier point
        }
        // More λ, smaller file: the first point (λ 0.05) is the largest of the walk.
        Assert.Equal(0.05, points[0]["lambda"]!.GetValue<double>(), 12);
        Assert.Equal(points.Max(p => p["bytes"]!.GetValue<long>()), points[0]["bytes"]!.GetValue<long>());
        int chosen = json["chosen"]!.GetValue<int>();
        var chosenKnot = Path.Combine(outDir, "chosen.knot");
        Assert.Equal(points[chosen]["bytes"]!.GetValue<long>(), new FileInfo(chosenKnot).Length);
        Assert.True(File.Exists(Path.Combine(outDir, "chosen.ckpt")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "points")));
        Assert.InRange(points[chosen]["bytes"]!.GetValue<long>(), target * 0.9, target * 1.1);
        // The chosen file runs: knot eval gives the recorded accuracy.
        var e = CliHarness.Run("eval", chosenKnot, "--data", "idx:" + _data, "--json");
        Assert.True(e.Code == 0, e.Err);
        Assert.Equal(points[chosen]["accuracy"]!.GetValue<double>(), JsonNode.Parse(e.Out)!["test_accuracy"]!.GetValue<double>(), 9);
        Assert.Contains("| point | phase | λ |", File.ReadAllText(Path.Combine(outDir, "sweep.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableTargetExitsWithItsOwnCodeAndSaysSo()
    {
        string outDir = Path.Combine(_dir, "far");
        // 100 bytes: smaller than the header of any .knot file of this network.
        var r = Sweep(outDir, "--reg", "l1", "--target-bytes", "100", "--lambda-start", "1", "--factor", "10", "--max-points", "3");
        Assert.Equal(ExitCodes.TargetNotReached, r.Code);
        Assert.Contains("not reached", r.Err, StringComparison.Ordinal);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json")))!;
        Assert.False(json["success"]!.GetValue<bool>());
        Assert.InRange(json["points"]!.AsArray().Count, 1, 3);
    }

    [Theory]
    [InlineData(new[] { "--reg", "growl" }, "exactly one")]
    [InlineData(new[] { "--reg", "growl", "--target-bytes", "1000", "--target-ratio", "5" }, "exactly one")]
    [InlineData(new[] { "--reg", "dropout", "--target-ratio", "5" }, "--reg")]
    [InlineData(new[] { "--reg", "l1", "--target-ratio", "-2" }, "--target-ratio")]
    [InlineData(new[] { "--reg", "l1", "--min-accuracy", "150" }, "--min-accuracy")]
    [InlineData(new[] { "--reg", "l1", "--target-ratio", "5", "--max-points", "1" }, "--max-points")]
    [InlineData(new[] { "--reg", "l1", "--target-ratio", "5", "--factor", "1" }, "--factor")]
    [InlineData(new[] { "--reg", "group-lasso", "--target-ratio", "5", "--layers", "fc9" }, "--layers")]
    public void BadOptionsAreUsageErrors(string[] extra, string mentioned)
    {
        var r = Sweep(Path.Combine(_dir, "bad"), extra);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(mentioned, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingStartCheckpointIsAnInputError()
    {
        var r = Sweep(Path.Combine(_dir, "nofrom"), "--reg", "l1", "--target-ratio", "5", "--from", Path.Combine(_dir, "absent.ckpt"));
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("absent.ckpt", r.Err, StringComparison.Ordinal);
    }
}
