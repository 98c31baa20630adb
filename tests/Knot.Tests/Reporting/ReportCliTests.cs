using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Knot.Tests.Cli;

namespace Knot.Tests.Reporting;

/// <summary>`knot report` on what small real CLI runs wrote (generated MNIST-layout data), one test per run kind.</summary>
[Collection(SerialCollection.Name)]
public sealed partial class ReportCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-report-").FullName;
    private readonly string _data;

    public ReportCliTests() => _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"), trainCount: 256, testCount: 64);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static void Ok((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}");

    /// <summary>Runs `knot report`, checks the JSON answer and the HTML (every SVG well-formed, one file, no script), returns the HTML.</summary>
    private string Report(string run, params string[] plots)
    {
        string html = P("report.html");
        var r = CliHarness.Run("report", run, "--out", html, "--json");
        Ok(r);
        var j = JsonNode.Parse(r.Out)!;
        var listed = j["plots"]!.AsArray().Select(n => (string)n!).ToList();
        string text = File.ReadAllText(html);
        Assert.Equal(text.Length > 0, (long)j["bytes"]! > 0);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var svgs = SvgElement().Matches(text).Select(m => XDocument.Parse(m.Value).Root!).ToList();
        Assert.NotEmpty(svgs);
        foreach (var kind in plots)
        {
            Assert.Contains(kind, listed);
            Assert.Contains(svgs, s => (string?)s.Attribute("data-plot") == kind);
        }
        Assert.Contains($"<meta name=\"knot-plots\" content=\"{string.Join(",", listed)}\">", text, StringComparison.Ordinal);
        return text;
    }

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgElement();

    private string Train(string name, params string[] extra)
    {
        string ckpt = P(name);
        Ok(CliHarness.Run(["train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--out", ckpt, .. extra]));
        return ckpt;
    }

    [Fact]
    public void TrainRunReportHasCurvesTableAndSize()
    {
        string ckpt = Train("l.ckpt", "--reg", "group-lasso", "--lambda1", "0.05");
        string html = Report(ckpt, "line", "scatter");
        Assert.Contains("Sparsity and clusters per epoch", html, StringComparison.Ordinal); // the regularized run recorded them
        Assert.Contains("fc1.weight", html, StringComparison.Ordinal);
        Assert.Contains("FLOPs before", html, StringComparison.Ordinal);
    }

    [Fact]
    public void GrowlRunReportHasNormsSimilarityAndPixels()
    {
        string dir = P("growl");
        Ok(CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--retrain-epochs", "1",
            "--lambda1", "0.5", "--lambda2", "0.01", "--out", dir));
        string html = Report(dir, "line", "bars", "heatmap", "pixels", "scatter");
        var bars = SvgElement().Matches(html).Select(m => XDocument.Parse(m.Value).Root!).Single(s => (string?)s.Attribute("data-plot") == "bars");
        Assert.Equal("784", (string?)bars.Attribute("data-bars")); // one bar per input pixel group of fc1
        var structure = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "structure.json")))!.AsArray()[0]!;
        int kept = structure["Labels"]!.AsArray().Count(l => (int)l! >= 0);
        var heat = SvgElement().Matches(html).Select(m => XDocument.Parse(m.Value).Root!).Single(s => (string?)s.Attribute("data-plot") == "heatmap");
        Assert.Equal(((long)kept * kept).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)heat.Attribute("data-cells"));
        var pixels = SvgElement().Matches(html).Select(m => XDocument.Parse(m.Value).Root!).Single(s => (string?)s.Attribute("data-plot") == "pixels");
        Assert.Equal(kept.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)pixels.Attribute("data-kept"));
    }

    [Fact]
    public void GrowlReportNamesTheSearchedPreferenceAndACollapsedLayer()
    {
        string capped = P("growl-capped");
        Ok(CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--retrain-epochs", "1",
            "--lr", "0.05", "--lambda1", "0.5", "--lambda2", "0.01", "--clusters", "3", "--out", capped));
        Assert.Contains("(searched for the cluster cap", Report(capped, "line"), StringComparison.Ordinal);

        string collapsed = P("growl-collapsed");
        Ok(CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--retrain-epochs", "1",
            "--reg", "group-lasso", "--lambda1", "100000", "--out", collapsed));
        string html = Report(collapsed, "line");
        Assert.Contains("zeroed all 784 input groups of fc1.weight", html, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftSharingReportHasMixtureHistogramsBeforeAndAfter()
    {
        string baseCkpt = Train("base.ckpt");
        string knot = P("sws.knot");
        Ok(CliHarness.Run("sws", "--from", baseCkpt, "--data", "idx:" + _data, "--epochs", "2", "--out", knot));
        Assert.True(File.Exists(knot + ".run.json"), "knot sws must record its run next to the file");
        var record = JsonNode.Parse(File.ReadAllText(knot + ".run.json"))!;
        long covered = (long)record["summary"]!["quantized_weights"]!;
        foreach (var key in new[] { "weights_before", "weights_after", "weights_quantized" })
            Assert.Equal(covered, record[key]!["counts"]!.AsArray().Sum(c => (long)c!));
        Assert.Equal(17, record["mixture_before"]!.AsArray().Count);
        Assert.Equal(2, record["summary"]!["history"]!.AsArray().Count);
        string html = Report(knot, "line", "histogram", "scatter");
        var histograms = SvgElement().Matches(html).Select(m => XDocument.Parse(m.Value).Root!).Where(s => (string?)s.Attribute("data-plot") == "histogram").ToList();
        Assert.Equal(2, histograms.Count);
        foreach (var h in histograms)
        {
            Assert.True(long.Parse((string)h.Attribute("data-count")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("17", (string?)h.Attribute("data-components")); // 16 learned + the zero component
        }
        // Before and after count the same weights (those under the prior).
        Assert.Equal((string?)histograms[0].Attribute("data-count"), (string?)histograms[1].Attribute("data-count"));
        Assert.Contains("mixture components (merged)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepCompressionReportHasStagesAndHistogram()
    {
        string baseCkpt = Train("base.ckpt");
        string knot = P("dc.knot");
        Ok(CliHarness.Run("dc", "--from", baseCkpt, "--data", "idx:" + _data, "--retrain-epochs", "1", "--finetune-epochs", "1", "--out", knot));
        var record = JsonNode.Parse(File.ReadAllText(knot + ".run.json"))!;
        Assert.Equal("dc", (string?)record["kind"]);
        Assert.Single(record["retrain_history"]!.AsArray());
        Assert.Single(record["finetune_history"]!.AsArray());
        string html = Report(knot, "line", "histogram", "scatter");
        Assert.Contains("fine-tuned", html, StringComparison.Ordinal);
        Assert.Contains("original (dense)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void PackedKnotWithoutRecordStillReports()
    {
        string ckpt = Train("p.ckpt");
        string knot = P("p.knot");
        Ok(CliHarness.Run("pack", ckpt, "--out", knot));
        string html = Report(knot, "line", "histogram", "scatter");
        Assert.Contains("run record", html, StringComparison.Ordinal);
    }

    [Fact]
    public void CompareDirectoryReportHasTableAndPareto()
    {
        string dir = P("cmp");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "compare.json"), """
            {"model":"lenet-300-100","dataset":"mnist","dense_bytes":1066440,"rows":[
              {"method":"baseline","test_accuracy":0.9852,"file_bytes":1066440,"ratio":1.0,"nonzero_fraction":1.0,"distinct_values":null,"epochs":"10","artifact":"b.ckpt","command":"knot train ..."},
              {"method":"dc","test_accuracy":0.9841,"file_bytes":30000,"ratio":35.5,"nonzero_fraction":0.08,"distinct_values":64,"epochs":"10+4+2","artifact":"dc.knot","command":"knot dc ..."},
              {"method":"sws","test_accuracy":0.9785,"file_bytes":11933,"ratio":89.4,"nonzero_fraction":0.036,"distinct_values":17,"epochs":"10+60","artifact":"s.knot","command":"knot sws ..."},
              {"method":"growl","test_accuracy":0.9744,"file_bytes":578315,"ratio":1.8,"nonzero_fraction":0.59,"distinct_values":null,"epochs":"20+5","artifact":"g","command":"knot growl ..."},
              {"method":"failed","test_accuracy":null,"file_bytes":5000,"ratio":null,"nonzero_fraction":null,"distinct_values":null,"epochs":"1","artifact":"x","command":"knot x"}
            ]}
            """);
        string html = Report(dir, "scatter");
        var scatter = SvgElement().Matches(html).Select(m => XDocument.Parse(m.Value).Root!).Single();
        Assert.Equal("4", (string?)scatter.Attribute("data-points")); // the row without accuracy is listed, not plotted
        Assert.Equal("3", (string?)scatter.Attribute("data-frontier")); // sws, dc, baseline; growl is dominated by dc
        Assert.Contains("<td>growl</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ResidualNetworkCheckpointReportsWithoutPacking()
    {
        var spec = new Knot.Models.ModelSpec("wrn-16-4", 0.1f, 3, 8, 8, 10);
        string ckpt = P("wrn.ckpt");
        Knot.Training.ModelCheckpoint.Save(ckpt, spec, Knot.Models.ModelZoo.Create(spec, new Knot.Tensors.KnotRandom(1)), 0, 1);
        string html = Report(ckpt, "line", "scatter");
        Assert.Contains("not a plain sequential network", html, StringComparison.Ordinal);
        Assert.Contains("no per-epoch history", html, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInputIsAClearInputError()
    {
        var missing = CliHarness.Run("report", P("nope"), "--out", P("r.html"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope", missing.Err, StringComparison.Ordinal);

        Directory.CreateDirectory(P("empty"));
        var layout = CliHarness.Run("report", P("empty"), "--out", P("r.html"));
        Assert.Equal(2, layout.Code);
        Assert.Contains("unknown run layout", layout.Err, StringComparison.Ordinal);

        Directory.CreateDirectory(P("badcmp"));
        File.WriteAllText(Path.Combine(P("badcmp"), "compare.json"), "{\"rows\": [ {\"method\": \"x\" ");
        var corrupt = CliHarness.Run("report", P("badcmp"), "--out", P("r.html"));
        Assert.Equal(2, corrupt.Code);
        Assert.Contains("compare.json", corrupt.Err, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(P("badcmp"), "compare.json"), "{\"rows\": [ {\"method\": \"x\"} ]}");
        var noBytes = CliHarness.Run("report", P("badcmp"), "--out", P("r.html"));
        Assert.Equal(2, noBytes.Code);
        Assert.Contains("file_bytes", noBytes.Err, StringComparison.Ordinal);

        Directory.CreateDirectory(P("halfgrowl"));
        File.WriteAllText(Path.Combine(P("halfgrowl"), "summary.json"), "{}");
        var half = CliHarness.Run("report", P("halfgrowl"), "--out", P("r.html"));
        Assert.Equal(2, half.Code);
        Assert.Contains("stage1.ckpt", half.Err, StringComparison.Ordinal);

        File.WriteAllBytes(P("junk.bin"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
        var junk = CliHarness.Run("report", P("junk.bin"), "--out", P("r.html"));
        Assert.Equal(2, junk.Code);
        Assert.Contains("not a run", junk.Err, StringComparison.Ordinal);

        string ckpt = Train("t.ckpt");
        string knot = P("t.knot");
        Ok(CliHarness.Run("pack", ckpt, "--out", knot));
        File.WriteAllText(knot + ".run.json", "not json");
        var record = CliHarness.Run("report", knot, "--out", P("r.html"));
        Assert.Equal(2, record.Code);
        Assert.Contains("t.knot.run.json", record.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(P("r.html")), "no report is written for bad input");
    }
}
