using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Knot.Compression.SoftSharing;
using Knot.Reporting.Svg;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Reporting;

/// <summary>
/// Report of a .knot file: soft weight-sharing (`knot sws`), Deep Compression (`knot dc`) or any packed model. What
/// the file cannot tell (curves, stage accuracies, the mixture before and after retraining) comes from the
/// F.knot.run.json record the command writes next to it; without one the report says so and shows the file alone.
/// </summary>
public static class CompressedReport
{
    public static HtmlReport Build(string path, RunKind kind)
    {
        var model = KnotModelFile.Read(path);
        var record = RunRecordFile.TryRead(path);
        string recordPath = RunRecordFile.PathFor(path);
        var summary = record?["summary"] as JsonObject;
        string name = model.Spec?.Name ?? Path.GetFileName(path);
        string method = kind switch { RunKind.SoftSharing => "soft weight-sharing", RunKind.DeepCompression => "Deep Compression", _ => "packed model" };
        var report = new HtmlReport($"Knot report: {name}, {method}", $"{path}: {RunFigures.Bytes(model.File.FileBytes)}, {RunFigures.Ratio(model.Ratio)} smaller than dense float32");

        var facts = new List<(string, string)>
        {
            ("model", name), ("file", $"{RunFigures.Bytes(model.File.FileBytes)} vs {RunFigures.Bytes(model.DenseBytes)} dense float32: {RunFigures.Ratio(model.Ratio)}"),
        };
        if (record?["from"] is JsonNode from) facts.Add(("compressed from", from.ToString()));
        if (summary is not null) AddSummaryFacts(facts, summary, kind);
        if (model.File.Metadata.TryGetValue("sws.settings", out var settings)) facts.Add(("settings", Settings(settings)));
        if (record is null) facts.Add(("run record", $"none ({Path.GetFileName(recordPath)} is missing): curves and stage accuracies are not available"));
        report.Section("Summary").Facts(facts);

        var history = History(path, record, kind, recordPath);
        RunFigures.TrainingCurves(report.Section("Training curves"), history, kind switch
        {
            RunKind.SoftSharing => "Retraining under the Gaussian-mixture prior.",
            RunKind.DeepCompression => "Retraining with the pruning masks fixed, then centroid fine-tuning (train metrics; the test set is evaluated once per stage).",
            _ => "Per-epoch history.",
        });

        report.Section("Layers").Paragraph("Encodings, bits and bytes are those of the file; FLOPs count 2 × multiply-adds per sample, zero weights skipped after compression.")
            .Table(LayerAnalysis.Headers, LayerAnalysis.Cells(LayerAnalysis.Rows(model.Spec, model.Model, model.File, null)));

        var weights = report.Section(kind == RunKind.SoftSharing ? "Weights and the mixture prior" : "Weights");
        if (kind == RunKind.SoftSharing && record?["weights_before"] is JsonNode)
        {
            var before = WeightHistogram.FromJson(record["weights_before"], recordPath);
            var after = WeightHistogram.FromJson(record["weights_after"], recordPath);
            weights.Figure(HistogramChart.Render(before, Curves(record["mixture_before"], recordPath), "Before retraining: pretrained weights and initial mixture", logY: true),
                "Histogram of the weights under the prior (log-scale counts) with each Gaussian component as expected counts per bin; red: the zero component.");
            weights.Figure(HistogramChart.Render(after, Curves(record["mixture_after"], recordPath), "After retraining: weights and trained mixture", logY: true),
                "The same after retraining: weights pulled onto the components' means; quantization then snaps each weight to its component's mean.");
        }
        else
        {
            if (kind == RunKind.SoftSharing) weights.Paragraph("No mixture record: the histogram shows the stored (quantized) weights only.");
            var stored = model.Model.NamedParameters().Where(p => p.Parameter.Shape.Rank >= 2).Select(p => p.Parameter.Value.Data.Where(v => v != 0).ToArray()).ToList();
            var (lo, hi) = WeightHistogram.Range(stored);
            var histogram = WeightHistogram.Compute(stored, lo, hi, 200);
            var codebook = model.File.Codebooks.SelectMany(c => c).Where(v => v != 0).Distinct().Count();
            weights.Figure(HistogramChart.Render(histogram, [], "Non-zero stored weights", logY: true),
                $"Histogram of the non-zero weights of all weight tensors as stored in the file (log-scale counts); {codebook} distinct non-zero codebook values.");
        }

        var points = new List<ScatterPoint>();
        if (summary is not null)
        {
            double dense = JsonFiles.Number(summary, "dense_bytes") ?? model.DenseBytes;
            if (kind == RunKind.SoftSharing)
            {
                points.Add(new("pretrained (dense)", dense, 100 * (JsonFiles.Number(summary, "accuracy_pretrained") ?? double.NaN)));
                points.Add(new("retrained (dense)", dense, 100 * (JsonFiles.Number(summary, "accuracy_retrained") ?? double.NaN)));
            }
            else if (summary["stages"] is JsonObject stages)
                points.Add(new("original (dense)", dense, 100 * (JsonFiles.Number(stages, "original") ?? double.NaN)));
            points.Add(new("compressed .knot", model.File.FileBytes, 100 * (JsonFiles.Number(summary, "test_accuracy") ?? double.NaN)));
        }
        else points.Add(new("compressed .knot", model.File.FileBytes, double.NaN));
        RunFigures.SizeVsAccuracy(report.Section("Accuracy vs file size"), points,
            "Dense float32 bytes of the original model and real bytes of the .knot file, against test accuracy at each stage.");
        return report;
    }

    private static List<EpochRecord> History(string path, JsonObject? record, RunKind kind, string recordPath)
    {
        if (kind == RunKind.SoftSharing)
        {
            // The checkpoint copy next to the .knot file carries the full per-epoch records.
            string ckpt = SoftSharingPipeline.CheckpointPathFor(path);
            if (File.Exists(ckpt)) return ModelCheckpoint.Load(ckpt).History;
            return HistoryJson.FromJson((record?["summary"] as JsonObject)?["history"], recordPath);
        }
        if (record is null) return [];
        return [.. HistoryJson.FromJson(record["retrain_history"], recordPath), .. HistoryJson.FromJson(record["finetune_history"], recordPath)];
    }

    private static List<MixtureCurve> Curves(JsonNode? node, string source) =>
        SwsRunRecord.ReadMixture(node, source).Select(c => new MixtureCurve(c.Mean, c.Sigma, c.Pi)).ToList();

    private static void AddSummaryFacts(List<(string, string)> facts, JsonObject s, RunKind kind)
    {
        if (kind == RunKind.SoftSharing)
        {
            facts.Add(("test accuracy", $"pretrained {RunFigures.Percent(JsonFiles.Number(s, "accuracy_pretrained"))}, retrained {RunFigures.Percent(JsonFiles.Number(s, "accuracy_retrained"))}, quantized {RunFigures.Percent(JsonFiles.Number(s, "test_accuracy"))}"));
            facts.Add(("non-zero weights", $"{RunFigures.Percent(JsonFiles.Number(s, "nonzero_fraction"))} of the weights under the prior"));
            facts.Add(("codebook", $"{JsonFiles.Text(s, "codebook_size") ?? "–"} values; mixture {JsonFiles.Text(s, "components") ?? "–"} components, {JsonFiles.Text(s, "merged_components") ?? "–"} after merging"));
            facts.Add(("paper accounting", $"P+Q {RunFigures.Ratio(JsonFiles.Number(s, "paper_ratio") ?? double.NaN)}, P+Q+Huffman {RunFigures.Ratio(JsonFiles.Number(s, "paper_ratio_huffman") ?? double.NaN)}"));
        }
        else if (s["stages"] is JsonObject st)
        {
            facts.Add(("test accuracy", string.Join(", ", st.Select(kv => $"{kv.Key.Replace('_', '-')} {RunFigures.Percent(JsonFiles.TryNumber(kv.Value, out var d) ? d : null)}"))));
            facts.Add(("paper accounting", $"P+Q {RunFigures.Ratio(JsonFiles.Number(s, "paper_ratio_pq") ?? double.NaN)}, P+Q+Huffman {RunFigures.Ratio(JsonFiles.Number(s, "paper_ratio_pqh") ?? double.NaN)}"));
        }
    }

    private static string Settings(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject o ? string.Join(", ", o.Select(kv => $"{kv.Key} {kv.Value?.ToJsonString()}")) : json;
        }
        catch (JsonException) { return json; }
    }
}
