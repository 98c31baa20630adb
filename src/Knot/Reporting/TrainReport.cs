using Knot.Compression.Growl;
using Knot.Nn;
using Knot.Reporting.Svg;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Reporting;

/// <summary>Report of a checkpoint (`knot train --out X.ckpt`): curves, per-layer table, dense vs packed size.</summary>
public static class TrainReport
{
    public static HtmlReport Build(string path)
    {
        var loaded = ModelCheckpoint.Load(path);
        var report = new HtmlReport($"Knot report: {loaded.Spec.Name}, training run", $"{Path.GetFileName(path)}: {loaded.EpochsDone} epochs, seed {loaded.Seed}");
        var last = loaded.History.Count > 0 ? loaded.History[^1] : null;
        long parameters = loaded.Model.ParameterCount();
        var facts = new List<(string, string)>
        {
            ("model", $"{loaded.Spec.Name} (width {loaded.Spec.Width})"), ("epochs", loaded.EpochsDone.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("parameters", parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
            ("final test accuracy", RunFigures.Percent(last?.TestAccuracy)),
        };
        if (loaded.Optimizer is { } opt) facts.Add(("optimizer", $"{opt.Kind}, lr {opt.LearningRate}, schedule {opt.Schedule}, weight decay {opt.WeightDecay}"));
        if (loaded.Checkpoint.Metadata.TryGetValue("regularizer", out var reg)) facts.Add(("regularizer", reg));
        report.Section("Summary").Facts(facts);
        RunFigures.TrainingCurves(report.Section("Training curves"), loaded.History, "Per-epoch training (and test, where evaluated) loss.");

        var layers = report.Section("Layers");
        var structure = loaded.Checkpoint.Metadata.TryGetValue("structure", out var json) ? GrowlStructure.FromJson(json, Path.GetFileName(path)) : null;
        if (InMemoryPack.TryPack(loaded.Model, loaded.Spec, structure, Path.GetFileName(path)) is var (packed, file))
        {
            layers.Paragraph("Encodings and bytes are those `knot pack` would write for this checkpoint (packed in memory for this report).");
            layers.Table(LayerAnalysis.Headers, LayerAnalysis.Cells(LayerAnalysis.Rows(loaded.Spec, packed, file, structure)));
            double acc = 100 * (last?.TestAccuracy ?? double.NaN);
            RunFigures.SizeVsAccuracy(report.Section("Accuracy vs file size"),
                [new ScatterPoint("dense float32", 4.0 * parameters, acc), new ScatterPoint("packed .knot (lossless)", file.FileBytes, acc)],
                "Dense float32 bytes of all parameters, and the size of the .knot file `knot pack` writes (same weights, same accuracy).");
        }
        else
        {
            layers.Paragraph($"{loaded.Spec.Name} is not a plain sequential network, so it has no per-layer .knot encoding; parameters per tensor:");
            layers.Table(["tensor", "shape", "parameters"], loaded.Model.NamedParameters().Select(p => (IReadOnlyList<string>)
                [p.Name, p.Parameter.Shape.ToString(), p.Parameter.Value.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)]));
            double acc = 100 * (last?.TestAccuracy ?? double.NaN);
            RunFigures.SizeVsAccuracy(report.Section("Accuracy vs file size"), [new ScatterPoint("dense float32", 4.0 * parameters, acc)],
                "Dense float32 bytes of all parameters.");
        }
        return report;
    }
}
