using System.Globalization;
using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Models;
using Knot.Nn;
using Knot.Reporting.Svg;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Reporting;

/// <summary>
/// Report of a `knot growl --out DIR` run: curves of both stages, the per-layer table of the finalized model, and per
/// regularized layer the sorted group norms, the similarity matrix of the kept groups ordered by cluster, and (for
/// an image input layer such as MNIST's first) the kept and tied pixels as an image.
/// </summary>
public static class GrowlReport
{
    /// <summary>Above this many kept groups the similarity matrix shows the largest clusters' first groups only.</summary>
    public const int MaxSimilarityGroups = 1200;

    public static HtmlReport Build(string directory)
    {
        string Need(string name)
        {
            string p = Path.Combine(directory, name);
            return File.Exists(p) ? p : throw new FileNotFoundException($"{directory}: GrOWL run directory lacks {name} (knot growl --out DIR writes {string.Join(", ", RunDetector.GrowlFiles)}).", p);
        }
        var stage1 = ModelCheckpoint.Load(Need("stage1.ckpt"));
        var retrained = ModelCheckpoint.Load(Need("retrained.ckpt"));
        string structurePath = Need("structure.json");
        var structure = GrowlStructure.FromJson(File.ReadAllText(structurePath), structurePath);
        string summaryPath = Path.Combine(directory, "summary.json");
        var summary = File.Exists(summaryPath) ? JsonFiles.ReadObject(summaryPath) : null;
        var spec = retrained.Spec;

        var report = new HtmlReport($"Knot report: {spec.Name}, GrOWL", $"{directory}: {stage1.EpochsDone} training + {retrained.EpochsDone} retraining epochs, seed {stage1.Seed}");
        long dense = retrained.Model.ParameterCount();
        // Residual networks keep their constrained form (no finalize, no .knot): their report has no per-layer encodings.
        var pack = InMemoryPack.TryPack(retrained.Model, spec, structure, "retrained.ckpt (packed)", out string? whyNot);
        string? whyNoFile = whyNot?.TrimEnd('.', ' ');
        var (finalized, file) = (pack?.Model, pack?.File);
        var stage1File = InMemoryPack.TryPack(stage1.Model, spec, null, "stage1.ckpt (packed)")?.File;
        double? stage1Acc = stage1.History.LastOrDefault()?.TestAccuracy, finalAcc = retrained.History.LastOrDefault()?.TestAccuracy;
        if (summary is not null)
        {
            stage1Acc = JsonFiles.Number(summary, "stage1_test_accuracy") ?? stage1Acc;
            finalAcc = JsonFiles.Number(summary, "test_accuracy") ?? finalAcc;
        }

        var facts = new List<(string, string)>
        {
            ("model", $"{spec.Name} (width {spec.Width})"),
            ("regularizer", stage1.Checkpoint.Metadata.TryGetValue("regularizer", out var reg) ? reg : "–"),
            ("test accuracy", $"stage 1 {RunFigures.Percent(stage1Acc)}, after retraining {RunFigures.Percent(finalAcc)}"),
            ("file", file is null ? $"{whyNoFile}: no finalized .knot ({RunFigures.Bytes(4 * dense)} dense)"
                : $"{RunFigures.Bytes(file.FileBytes)} finalized .knot (packed in memory) vs {RunFigures.Bytes(4 * dense)} dense: {RunFigures.Ratio(4.0 * dense / file.FileBytes)}"),
        };
        foreach (var l in structure)
        {
            var m = l.ToTieMap().Metrics;
            string searched = l.Preference is { } p ? $", AP preference {p:G4} (searched for the cluster cap{(l.Merged == true ? "; clusters then merged down to it" : "")})" : "";
            facts.Add((l.Name, $"{m.ZeroGroups} of {m.Groups} groups zero ({m.Sparsity:P1}), {m.Clusters} clusters, sharing {m.ParameterSharing:F2}, compression {RunFigures.Ratio(m.Compression)}{searched}"));
        }
        if (summary?["unique_parameters"] is JsonNode u) facts.Add(("unique parameters", $"{u} of {summary["parameters"]}"));
        if (summary?["warnings"] is JsonArray warnings)
            foreach (var w in warnings) if (w?.GetValue<string>() is { } text) facts.Add(("warning", text));
        report.Section("Summary").Facts(facts);

        var history = stage1.History.Concat(retrained.History).ToList();
        RunFigures.TrainingCurves(report.Section("Training curves"), history,
            $"Epochs 1–{stage1.History.Count}: training with the GrOWL prox; {stage1.History.Count + 1}–{history.Count}: retraining with zero and tied groups enforced.");

        if (finalized is not null && file is not null)
            report.Section("Layers").Paragraph("After finalizing: removed inputs are dropped and tied inputs summed, so a GrOWL layer's stored shape is smaller than its original shape. FLOPs count 2 × multiply-adds of non-zero weights per sample.")
                .Table(LayerAnalysis.Headers, LayerAnalysis.Cells(LayerAnalysis.Rows(spec, finalized, file, structure)));
        else
            report.Section("Layers").Paragraph($"{whyNoFile}, so the network is not finalized or packed; its regularized layers are described below.");

        var stage1Weights = stage1.Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var layer in structure)
        {
            if (!stage1Weights.TryGetValue(layer.Name, out var weight)) continue;
            LayerFigures(report.Section($"Structure of {layer.Name}"), layer, weight, spec, IsFirstWeight(stage1.Model, layer.Name));
        }

        var points = new List<ScatterPoint>();
        if (stage1File is not null) points.Add(new ScatterPoint("stage 1 (packed, zeros sparse)", stage1File.FileBytes, 100 * (stage1Acc ?? double.NaN)));
        points.Add(file is null ? new ScatterPoint("retrained (dense)", 4.0 * dense, 100 * (finalAcc ?? double.NaN))
            : new ScatterPoint("retrained + finalized .knot", file.FileBytes, 100 * (finalAcc ?? double.NaN)));
        RunFigures.SizeVsAccuracy(report.Section("Accuracy vs file size"), points,
            $"Real bytes of the .knot files `knot pack` writes for each stage (dense float32: {RunFigures.Bytes(4 * dense)}).");
        return report;
    }

    private static bool IsFirstWeight(Module model, string name) =>
        model.NamedParameters().FirstOrDefault(p => p.Parameter.Shape.Rank >= 2).Name == name;

    public static void LayerFigures(ReportSection section, LayerStructure layer, Parameter weight, ModelSpec spec, bool firstLayer)
    {
        var layout = new GroupLayout(layer.Shape);
        var norms = new float[layout.GroupCount];
        layout.Norms(weight.Value.Data, norms);
        var labels = layer.Labels;
        // Removed groups are exactly zero after finalizing; show the structure's view of them.
        var values = norms.Select((n, i) => labels[i] < 0 ? 0.0 : n).ToList();
        // Colour only tied clusters (≥ 2 groups), ranked by size as in the pixel image; untied groups stay plain.
        var sizes = labels.Where(l => l >= 0).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var rank = sizes.Where(kv => kv.Value > 1).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select((kv, i) => (kv.Key, i)).ToDictionary(t => t.Key, t => t.i);
        var colours = labels.Select(l => l >= 0 && rank.TryGetValue(l, out var r) ? r : -1).ToList();
        section.Figure(BarChart.Render(values, $"{layer.Name}: group norms, sorted", "group rank", "ℓ2 norm after stage 1", colourIds: colours),
            $"One bar per input group (column of the weight), largest first; tied groups coloured by cluster ({rank.Count} tied clusters), untied blue; red marks and band: zero (removed) groups.");

        var (order, starts) = HeatMap.OrderByCluster(labels);
        int shown = Math.Min(order.Length, MaxSimilarityGroups);
        if (shown > 0)
        {
            var vectors = new GroupVectors(weight.Value.Data, layout, order.AsSpan(0, shown));
            var matrix = GroupSimilarity.Matrix(vectors);
            section.Figure(HeatMap.Render(matrix, shown, starts.Where(s => s < shown).ToList(), $"{layer.Name}: group similarity, ordered by cluster", min: Math.Min(0, matrix.Min()), max: 1),
                $"S_ij = ⟨g_i, g_j⟩ / max(‖g_i‖², ‖g_j‖²) between kept groups at the end of stage 1 (1 = identical), rows and columns in cluster order, largest cluster first; red lines separate tied clusters and the block of untied groups." +
                (shown < order.Length ? $" First {shown} of {order.Length} kept groups." : ""));
        }
        else section.Figure(HeatMap.Render([], 0, [], $"{layer.Name}: group similarity"), "Every group of this layer was removed.");

        int pixels = spec.InputHeight * spec.InputWidth;
        if (firstLayer && spec.InputChannels == 1 && layout.GroupCount == pixels && layout.Inner == 1)
        {
            section.Figure(PixelImage.Render(labels, spec.InputWidth, spec.InputHeight, $"{layer.Name}: kept and tied input pixels", cellSize: 11),
                $"The {spec.InputWidth}×{spec.InputHeight} input pixels: light = removed (the group of weights leaving the pixel is zero), dark = kept, colour = tied with the other pixels of that colour.");
        }
        section.Paragraph(string.Create(CultureInfo.InvariantCulture,
            $"{labels.Count(l => l >= 0)} of {labels.Length} groups kept in {labels.Where(l => l >= 0).Distinct().Count()} clusters."));
    }
}
