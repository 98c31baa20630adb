using System.Text.Json.Nodes;
using Knot.Cli;
using Knot.Comparison;
using Knot.Tests.Cli;

namespace Knot.Tests.Comparison;

/// <summary>`knot compare` end to end on tiny generated MNIST-layout data: all six methods, one epoch or so each.</summary>
[Collection(SerialCollection.Name)]
public sealed class CompareCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-compare-" + Guid.NewGuid().ToString("N"));
    private readonly string _data;

    public CompareCommandTests() => _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly string[] Quick =
        ["--epochs", "1", "--retrain-epochs", "1", "--dc-retrain-epochs", "1", "--dc-finetune-epochs", "1", "--sws-epochs", "1", "--batch-size", "64", "--threads", "1",
         "--growl-lambda1", "0.5", "--growl-lambda2", "0.01", "--group-lasso-lambda", "0.5"];

    private (int Code, string Out, string Err) Compare(string outDir, params string[] extra) =>
        CliHarness.Run(["compare", "--model", "lenet-300-100", "--data", "idx:" + _data, "--out", outDir, .. Quick, .. extra]);

    private static Dictionary<string, DateTime> Stamps(string outDir) =>
        Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)!) != Path.GetFileName(outDir)) // method artifacts, not compare.json/md
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);

    [Fact]
    public void AllMethodsGiveOneRowEachWithRealFileSizes_AndCollectOrResumeRunsNothing()
    {
        string outDir = Path.Combine(_dir, "cmp");
        var r = Compare(outDir, "--json");
        Assert.True(r.Code == 0, r.Err);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")))!.AsObject();
        Assert.Equal("lenet-300-100", json["model"]!.GetValue<string>());
        Assert.Equal("idx:" + _data, json["dataset"]!.GetValue<string>());
        long dense = json["dense_bytes"]!.GetValue<long>();
        Assert.Equal(4L * (784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10), dense);
        var rows = json["rows"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal(["baseline", "weight-decay", "group-lasso", "growl", "dc", "sws"], rows.Select(x => x["method"]!.GetValue<string>()));
        foreach (var row in rows)
        {
            string artifact = row["artifact"]!.GetValue<string>();
            long bytes = row["file_bytes"]!.GetValue<long>();
            Assert.Equal(new FileInfo(artifact).Length, bytes); // the real file, not an estimate
            Assert.Equal((double)dense / bytes, row["ratio"]!.GetValue<double>(), 9);
            double accuracy = row["test_accuracy"]!.GetValue<double>();
            Assert.InRange(accuracy, 0, 1);
            Assert.InRange(row["nonzero_fraction"]!.GetValue<double>(), 0, 1);
            Assert.StartsWith("knot ", row["command"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(row["epochs"]!.GetValue<string>()));
            Assert.True(row.ContainsKey("distinct_values"));
        }
        // Quantizing methods report their distinct values; float32 rows report null.
        Assert.Null(rows[0]["distinct_values"]);
        Assert.NotNull(rows[4]["distinct_values"]);
        Assert.InRange(rows[5]["distinct_values"]!.GetValue<long>(), 1, 18);
        // Deep Compression and soft weight-sharing make files far smaller than the dense baseline's.
        Assert.True(rows[4]["file_bytes"]!.GetValue<long>() * 5 < rows[0]["file_bytes"]!.GetValue<long>());
        Assert.True(rows[5]["file_bytes"]!.GetValue<long>() * 5 < rows[0]["file_bytes"]!.GetValue<long>());
        // The row's accuracy is that of inference from the file.
        var dc = Knot.Inference.CompressedModel.Load(rows[4]["artifact"]!.GetValue<string>());
        var test = Knot.Data.DataSpec.Parse("idx:" + _data).Load(Knot.Data.DataSplit.Test);
        Assert.Equal(Knot.Inference.CompressedEvaluator.Evaluate(dc, test).Accuracy, rows[4]["test_accuracy"]!.GetValue<double>(), 12);
        // stdout under --json is the same table.
        Assert.Equal(6, JsonNode.Parse(r.Out)!["rows"]!.AsArray().Count);

        // The Pareto plot: a well-formed SVG with one labelled point per method.
        var svg = System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.svg")));
        Assert.Equal("scatter", (string?)svg.Root!.Attribute("data-plot"));
        string md = File.ReadAllText(Path.Combine(outDir, "compare.md"));
        Assert.Contains("| method | test accuracy | test error | file bytes | real ratio | non-zero share | distinct values | epochs |", md, StringComparison.Ordinal);
        foreach (var row in rows)
            Assert.Contains($"| {row["method"]!.GetValue<string>()} | ", md, StringComparison.Ordinal);
        Assert.Equal(6 + 2, md.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) || l.StartsWith("|---", StringComparison.Ordinal)));

        // --collect and a plain re-run with the same settings run nothing: no artifact is rewritten.
        var before = Stamps(outDir);
        Thread.Sleep(20);
        r = Compare(outDir, "--collect");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(before, Stamps(outDir));
        r = Compare(outDir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(before, Stamps(outDir));
        Assert.Contains("reusing", r.Out, StringComparison.Ordinal);
        var again = ComparisonTable.FromJson(File.ReadAllText(Path.Combine(outDir, "compare.json")), "compare.json");
        Assert.Equal(rows.Select(x => x["file_bytes"]!.GetValue<long>()), again.Rows.Select(x => x.FileBytes));

        // Another setting for one method makes that artifact stale: it (and only it) runs again.
        r = Compare(outDir, "--methods", "weight-decay,baseline", "--weight-decay", "0.001");
        Assert.True(r.Code == 0, r.Err);
        var after = Stamps(outDir);
        Assert.Contains(after, kv => kv.Key.Contains("weight-decay", StringComparison.Ordinal) && kv.Value != before[kv.Key]);
        Assert.All(after.Where(kv => kv.Key.Contains(Path.DirectorySeparatorChar + "baseline" + Path.DirectorySeparatorChar, StringComparison.Ordinal)),
            kv => Assert.Equal(before[kv.Key], kv.Value));
        Assert.Equal(2, ComparisonTable.FromJson(File.ReadAllText(Path.Combine(outDir, "compare.json")), "compare.json").Rows.Count);

        // --collect leaves out a method without a finished artifact.
        File.Delete(Path.Combine(outDir, "growl", ComparisonRunner.RecordName));
        r = Compare(outDir, "--collect");
        Assert.True(r.Code == 0, r.Err);
        var collected = ComparisonTable.FromJson(File.ReadAllText(Path.Combine(outDir, "compare.json")), "compare.json");
        Assert.Equal(["baseline", "weight-decay", "group-lasso", "dc", "sws"], collected.Rows.Select(x => x.Method));
    }

    [Fact]
    public void FromCheckpointIsTheBaselineAndStartOfDeepCompression()
    {
        string ckpt = Path.Combine(_dir, "base.ckpt");
        var t = CliHarness.Run("train", "--model", "lenet-300-100", "--data", "idx:" + _data, "--epochs", "1", "--threads", "1", "--out", ckpt);
        Assert.True(t.Code == 0, t.Err);
        string outDir = Path.Combine(_dir, "from");
        var r = Compare(outDir, "--methods", "dc,baseline", "--from", ckpt);
        Assert.True(r.Code == 0, r.Err);
        var table = ComparisonTable.FromJson(File.ReadAllText(Path.Combine(outDir, "compare.json")), "compare.json");
        Assert.Equal(["baseline", "dc"], table.Rows.Select(x => x.Method));
        Assert.Equal($"knot pack {ckpt} --out {Path.Combine(outDir, "baseline", "model.knot")}", table.Rows[0].Command);
        Assert.Contains($"--from {ckpt}", table.Rows[1].Command, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "baseline", "model.ckpt"))); // nothing was trained
    }

    [Fact]
    public void EachRowsCommandReproducesItsFileBitForBit()
    {
        string outDir = Path.Combine(_dir, "repro");
        var r = Compare(outDir, "--methods", "baseline,group-lasso,growl,dc,sws");
        Assert.True(r.Code == 0, r.Err);
        var table = ComparisonTable.FromJson(File.ReadAllText(Path.Combine(outDir, "compare.json")), "compare.json");
        foreach (var row in table.Rows)
        {
            byte[] made = File.ReadAllBytes(row.Artifact);
            File.Delete(row.Artifact);
            foreach (var part in row.Command.Split(" && "))
            {
                var args = part.Split(' ').Skip(1).ToList(); // drop "knot"
                if (args[0] != "pack") args.AddRange(["--threads", "1"]); // the comparison ran on one thread
                var step = CliHarness.Run([.. args]);
                Assert.True(step.Code == 0, $"{part}: {step.Err}");
            }
            Assert.True(made.AsSpan().SequenceEqual(File.ReadAllBytes(row.Artifact)), $"{row.Method}: `{row.Command}` made a different file");
        }
    }

    [Theory]
    [InlineData(new[] { "--methods", "baseline,magic" }, "magic")]
    [InlineData(new[] { "--methods", "dc,dc" }, "twice")]
    [InlineData(new[] { "--collect", "--force" }, "--collect")]
    [InlineData(new[] { "--epochs", "-1" }, "--epochs")]
    [InlineData(new[] { "--sws-tau", "0" }, "--sws-tau")]
    [InlineData(new[] { "--dc-sparsity", "fc1=2" }, "--dc-sparsity")]
    public void BadOptionsAreUsageErrors(string[] extra, string mentioned)
    {
        var r = Compare(Path.Combine(_dir, "bad"), extra);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(mentioned, r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void MissingInputsAreInputErrors()
    {
        var r = Compare(Path.Combine(_dir, "none"), "--from", Path.Combine(_dir, "absent.ckpt"));
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("absent.ckpt", r.Err, StringComparison.Ordinal);

        r = Compare(Path.Combine(_dir, "empty"), "--collect");
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("--collect", r.Err, StringComparison.Ordinal);
    }
}
