using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Storage.Common;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>A regularization sweep: model, data, regularizer, how each point trains, and what to hit.</summary>
public sealed record SweepRequest
{
    public static readonly string[] Regularizers = ["growl", "group-lasso", "l1"];

    public required ModelSpec Spec { get; init; }

    /// <summary>The --data text as given (recorded in sweep.json and the reproduction command).</summary>
    public required string DataSpec { get; init; }

    public required string OutDirectory { get; init; }
    public required SweepTarget Target { get; init; }
    public string Regularizer { get; init; } = "group-lasso";

    /// <summary>GrOWL only: Λ2 = ratio × Λ1 (PLD family, ρ = 0.5), so one number walks both.</summary>
    public double Lambda2Ratio { get; init; } = 0.02;

    /// <summary>Weights to regularize (e.g. fc1, fc2); null: every FC/conv layer with ≥ 2 inputs (growl-mnist: fc1).</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    public int EpochsPerPoint { get; init; } = 2;
    public ulong Seed { get; init; } = 1;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 0.02f;
    public string Schedule { get; init; } = "cosine";

    /// <summary>The first point continues from this checkpoint (e.g. a trained baseline); null: a fresh initialisation.</summary>
    public string? FromCheckpoint { get; init; }

    public SweepSearchOptions Search { get; init; } = new();

    public void Validate()
    {
        if (!Regularizers.Contains(Regularizer)) throw new ArgumentException($"--reg must be one of {string.Join(", ", Regularizers)}, got '{Regularizer}'.");
        if (EpochsPerPoint < 1) throw new ArgumentException($"--epochs-per-point must be >= 1, got {EpochsPerPoint}.");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be >= 1, got {BatchSize}.");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be > 0, got {LearningRate}.");
        if (!(Lambda2Ratio >= 0) || !double.IsFinite(Lambda2Ratio)) throw new ArgumentException($"--lambda2-ratio must be >= 0, got {Lambda2Ratio}.");
        if (Target is SweepTarget.Bytes { TargetBytes: < 1 } b) throw new ArgumentException($"The target size must be >= 1 byte, got {b.TargetBytes}.");
        if (Target is SweepTarget.MinAccuracy { Accuracy: var a } && !(a > 0 && a <= 1)) throw new ArgumentException($"--min-accuracy must be in (0, 1], got {a}.");
        new OptimizerConfig("sgd", LearningRate, Schedule: Schedule).CreateSchedule(EpochsPerPoint);
        Search.Validate();
    }

    public RegularizerSpec RegularizerAt(double lambda) => Regularizer == "growl"
        ? new RegularizerSpec { Kind = "growl", Family = "pld", Lambda1 = lambda, Lambda2 = lambda * Lambda2Ratio, Rho = 0.5, Every = 1, Layers = Layers }
        : new RegularizerSpec { Kind = Regularizer, Lambda1 = lambda, Every = 1, Layers = Layers };
}

/// <summary>A measured sweep point with its files and sparsity.</summary>
public sealed record SweepPointResult(SweepStep Step, RegularizerSpec Regularizer, int Epochs, int TotalEpochs, long DenseBytes,
    double ZeroWeightFraction, double? ZeroGroupFraction)
{
    public double Ratio => (double)DenseBytes / Step.Measurement.Bytes;
}

public sealed record SweepResult(SweepRequest Request, SweepOutcome Outcome, IReadOnlyList<SweepPointResult> Points, string? ChosenKnot, string? ChosenCheckpoint)
{
    public SweepPointResult Chosen => Points[Outcome.Chosen];
}

/// <summary>
/// Runs <see cref="SweepSearch"/> on real training: each point trains <see cref="SweepRequest.EpochsPerPoint"/>
/// epochs with the regularizer at its λ, continuing from an earlier point's weights (fresh optimizer state), is
/// packed into a .knot file and evaluated from that file. For growl and group-lasso the packing first removes the exactly
/// zero groups and the units that fed them (<see cref="CheckpointPacker.PackRemovingZeroGroups"/>, lossless); for l1
/// the zeros are stored sparse. Keeps the
/// chosen point's checkpoint and .knot (DIR/chosen.ckpt, DIR/chosen.knot), writes DIR/sweep.json and DIR/sweep.md.
/// </summary>
public static class SweepRunner
{
    public static SweepResult Run(SweepRequest request, LabeledDataset train, LabeledDataset test, IProgress<TrainingProgress>? progress = null,
        Action<string>? log = null, string? invocation = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        TrainingRun.CheckDataFitsModel(request.Spec, train);
        request.RegularizerAt(request.Search.StartLambda).Targets(request.Spec.Name, ModelZoo.Create(request.Spec, new KnotRandom(0))); // --layers names exist
        int startEpochs = 0;
        if (request.FromCheckpoint is { } from)
        {
            if (!File.Exists(from)) throw new FileNotFoundException($"--from: checkpoint '{from}' does not exist.", from);
            var loaded = ModelCheckpoint.Load(from);
            if (loaded.Spec != request.Spec)
                throw new ArgumentException($"--from {Path.GetFileName(from)} holds model {loaded.Spec.Name} (width {loaded.Spec.Width}), but --model is {request.Spec.Name}.");
            startEpochs = loaded.EpochsDone;
        }
        string pointsDir = Path.Combine(request.OutDirectory, "points");
        if (Directory.Exists(pointsDir)) Directory.Delete(pointsDir, recursive: true);
        Directory.CreateDirectory(pointsDir);
        var points = new List<SweepPointResult>();

        SweepMeasurement Measure(double lambda, int fromIndex)
        {
            int index = points.Count;
            var regularizer = request.RegularizerAt(lambda);
            Module model = fromIndex >= 0 ? ModelCheckpoint.Load(Checkpoint(pointsDir, fromIndex)).Model
                : request.FromCheckpoint is { } f ? ModelCheckpoint.Load(f).Model
                : ModelZoo.Create(request.Spec, new KnotRandom(request.Seed));
            string ckpt = Checkpoint(pointsDir, index), knot = Knot(pointsDir, index);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"point {index}: λ = {lambda:G4}, continuing from {(fromIndex >= 0 ? $"point {fromIndex}" : request.FromCheckpoint is null ? "a fresh network" : Path.GetFileName(request.FromCheckpoint))}"));
            var run = TrainingRun.Run(new TrainRequest
            {
                Spec = request.Spec, InitialModel = model, Optimizer = new OptimizerConfig("sgd", request.LearningRate, 0.9f, Schedule: request.Schedule),
                Epochs = request.EpochsPerPoint, BatchSize = request.BatchSize, Seed = request.Seed + (ulong)(fromIndex + 1), OutPath = ckpt, // siblings share the batch order
            }.WithRegularizer(regularizer, train.Count), train, null, Prefixed(progress, $"point {index}"), cancellation);
            if (regularizer.Kind == "l1") CheckpointPacker.Pack(ckpt, knot);
            else CheckpointPacker.PackRemovingZeroGroups(ckpt, knot, regularizer);
            var m = PackedModelMeasurement.Measure(knot, test);
            double? groups = run.History.Count > 0 && run.History[^1].Extra.TryGetValue("sparsity", out var g) ? g : null;
            int total = request.EpochsPerPoint + (fromIndex >= 0 ? points[fromIndex].TotalEpochs : startEpochs);
            var measurement = new SweepMeasurement(m.FileBytes, m.TestAccuracy);
            points.Add(new SweepPointResult(new SweepStep(index, lambda, fromIndex, "", measurement), regularizer, request.EpochsPerPoint, total,
                m.DenseBytes, ZeroWeightFraction(regularizer, request.Spec.Name, run.Model), groups));
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"point {index}: {m.FileBytes:N0} bytes ({m.Ratio:F1}×), test accuracy {m.TestAccuracy:P2}"));
            return measurement;
        }

        var outcome = SweepSearch.Run(request.Search, request.Target, Measure);
        // The search owns the phases; the measured details come from here.
        var merged = points.Select((p, i) => p with { Step = outcome.Steps[i] }).ToList();
        string? chosenKnot = null, chosenCkpt = null;
        if (merged.Count > 0)
        {
            chosenKnot = Path.Combine(request.OutDirectory, "chosen.knot");
            chosenCkpt = Path.Combine(request.OutDirectory, "chosen.ckpt");
            File.Move(Knot(pointsDir, outcome.Chosen), chosenKnot, overwrite: true);
            File.Move(Checkpoint(pointsDir, outcome.Chosen), chosenCkpt, overwrite: true);
        }
        Directory.Delete(pointsDir, recursive: true); // the other points were stepping stones
        var result = new SweepResult(request, outcome, merged, chosenKnot, chosenCkpt);
        SweepWriter.Write(result, invocation);
        return result;
    }

    private static string Checkpoint(string dir, int index) => Path.Combine(dir, $"p{index:D2}.ckpt");

    private static string Knot(string dir, int index) => Path.Combine(dir, $"p{index:D2}.knot");

    /// <summary>Share of exact zeros among the regularized weights.</summary>
    private static double ZeroWeightFraction(RegularizerSpec regularizer, string modelName, Module model)
    {
        long zeros = 0, total = 0;
        foreach (var (_, p) in regularizer.Targets(modelName, model))
        {
            foreach (float v in p.Value.Data) if (v == 0f) zeros++;
            total += p.Value.Length;
        }
        return total == 0 ? 0 : (double)zeros / total;
    }

    private static IProgress<TrainingProgress>? Prefixed(IProgress<TrainingProgress>? inner, string phase) =>
        inner is null ? null : new PrefixProgress(inner, phase);

    private sealed class PrefixProgress(IProgress<TrainingProgress> inner, string phase) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Report(value with { Phase = phase + " " + value.Phase });
    }
}

/// <summary>sweep.json (every point: λ, epochs, bytes, ratio, accuracy, sparsity; the choice and whether the target was met) and sweep.md.</summary>
public static class SweepWriter
{
    public static void Write(SweepResult r, string? invocation)
    {
        var q = r.Request;
        var json = new JsonObject
        {
            ["model"] = q.Spec.Name, ["dataset"] = q.DataSpec, ["regularizer"] = q.Regularizer,
            ["target"] = r.Request.Target switch
            {
                SweepTarget.Bytes b => new JsonObject { ["kind"] = "bytes", ["bytes"] = b.TargetBytes, ["tolerance"] = b.Tolerance },
                SweepTarget.MinAccuracy a => new JsonObject { ["kind"] = "min_accuracy", ["accuracy"] = a.Accuracy },
                _ => null,
            },
            ["success"] = r.Outcome.Success, ["message"] = r.Outcome.Message, ["chosen"] = r.Outcome.Chosen,
            ["dense_bytes"] = r.Points.Count > 0 ? r.Points[0].DenseBytes : null,
            ["layers"] = q.Layers is null ? null : new JsonArray(q.Layers.Select(l => (JsonNode)l).ToArray()),
            ["epochs_per_point"] = q.EpochsPerPoint, ["lr"] = q.LearningRate, ["from"] = q.FromCheckpoint, ["chosen_knot"] = r.ChosenKnot, ["chosen_checkpoint"] = r.ChosenCheckpoint,
            ["points"] = new JsonArray(r.Points.Select(p => (JsonNode)new JsonObject
            {
                ["index"] = p.Step.Index, ["lambda"] = p.Step.Lambda, ["lambda2"] = q.Regularizer == "growl" ? p.Regularizer.Lambda2 : null,
                ["from"] = p.Step.From, ["phase"] = p.Step.Phase, ["epochs"] = p.Epochs, ["total_epochs"] = p.TotalEpochs,
                ["bytes"] = p.Step.Measurement.Bytes, ["ratio"] = p.Ratio, ["accuracy"] = p.Step.Measurement.Accuracy,
                ["sparsity"] = p.ZeroWeightFraction, ["group_sparsity"] = p.ZeroGroupFraction,
            }).ToArray()),
        };
        if (invocation is not null) json["command"] = invocation;
        Directory.CreateDirectory(q.OutDirectory);
        AtomicFile.WriteAllBytes(Path.Combine(q.OutDirectory, "sweep.json"), Encoding.UTF8.GetBytes(json.ToJsonString(ComparisonTable.Indented) + "\n"));
        AtomicFile.WriteAllBytes(Path.Combine(q.OutDirectory, "sweep.md"), Encoding.UTF8.GetBytes(Markdown(r, invocation)));
    }

    public static string Markdown(SweepResult r, string? invocation)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"# Sweep: {r.Request.Regularizer} on {r.Request.Spec.Name} ({r.Request.DataSpec})\n\n");
        md.Append(c, $"Target: {r.Request.Target}. {(r.Outcome.Success ? "**Met**" : "**Not met**")}: {r.Outcome.Message}.\n\n");
        if (invocation is not null) md.Append(c, $"Made with: `{invocation}`\n\n");
        md.Append("| point | phase | λ | from | epochs (total) | file bytes | real ratio | test accuracy | zero weights | zero groups | chosen |\n");
        md.Append("|---:|---|---:|---:|---|---:|---:|---:|---:|---:|:-:|\n");
        foreach (var p in r.Points)
        {
            string from = p.Step.From < 0 ? "start" : p.Step.From.ToString(c);
            string groups = p.ZeroGroupFraction is double g ? $"{g * 100:F1}%" : "–";
            md.Append(c, $"| {p.Step.Index} | {p.Step.Phase} | {p.Step.Lambda:G4} | {from} | {p.Epochs} ({p.TotalEpochs}) | {p.Step.Measurement.Bytes:N0} | {p.Ratio:F1}× | {p.Step.Measurement.Accuracy * 100:F2}% | {p.ZeroWeightFraction * 100:F1}% | {groups} | {(p.Step.Index == r.Outcome.Chosen ? "✓" : "")} |\n");
        }
        return md.ToString();
    }
}
