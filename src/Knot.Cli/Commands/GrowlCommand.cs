using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Spectre.Console;

namespace Knot.Cli.Commands;

public static class GrowlCommand
{
    public static Command Create()
    {
        // Defaults that sparsify growl-mnist with the paper's λ (see BENCHMARKS.md): prox once per epoch, small lr.
        var training = new TrainingOptions(defaultLr: 0.002f, defaultSchedule: "step:2:0.96");
        var reg = new RegularizerOptions("growl", defaultEvery: "epoch");
        var tying = new TyingCliOptions();
        var retrain = new Option<int>("--retrain-epochs") { Description = "Epochs of retraining with the structure enforced.", DefaultValueFactory = _ => 10 };
        var retrainOptimizer = new Option<string?>("--retrain-optimizer") { Description = "Optimizer of the retraining stage: sgd, adam or adamw (default: --optimizer)." };
        var retrainLr = new Option<float?>("--retrain-lr") { Description = "Learning rate of the retraining stage (default: --lr)." };
        var retrainSchedule = new Option<string?>("--retrain-lr-schedule") { Description = "Learning-rate schedule of the retraining stage (default: --lr-schedule)." };
        var retrainShift = CommonOptions.Shift("while retraining (stage 2)", "--retrain-shift");
        var distill = new DistillationOptions("while retraining (stage 2)");
        var l2 = new Option<float>("--l2") { Description = "ℓ2 weight decay in both stages (the paper's \"+ℓ2\" rows use 1e-3; SGD and Adam add it to the gradient, AdamW decays the weights decoupled)." , DefaultValueFactory = _ => 0f };
        var output = new Option<string>("--out") { Description = "Output directory: stage1.ckpt, structure.json, retrained.ckpt, summary.json.", Required = true };
        var stage1 = new Option<string?>("--stage1")
        {
            Description = "Continue this stage-1 checkpoint of an earlier run with the same stage-1 options (model, seed, regularizer) instead of " +
                "training stage 1: nothing to train when it is finished, so stage 2 can be varied (--clusters, retraining) without repeating stage 1, " +
                "and an interrupted run can go on. Same result as the uninterrupted run, bit for bit.",
        };
        var json = CommonOptions.Json();
        var command = new Command("growl", "GrOWL end to end: train with the proximal regularizer, find zero and tied groups, retrain with them enforced.");
        training.AddTo(command);
        reg.AddTo(command);
        tying.AddTo(command);
        command.Options.Add(retrain);
        foreach (var option in new Option[] { retrainOptimizer, retrainLr, retrainSchedule, retrainShift }) command.Options.Add(option);
        distill.AddTo(command);
        command.Options.Add(l2);
        command.Options.Add(output);
        command.Options.Add(stage1);
        command.Options.Add(json);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            string? stage1Path = p.GetValue(stage1);
            if (stage1Path is not null && !File.Exists(stage1Path)) throw new FileNotFoundException($"--stage1: checkpoint '{stage1Path}' does not exist.", stage1Path);
            var (train, test) = TrainingOptions.LoadData(p.GetValue(training.Data));
            var baseRequest = training.Request(p, train, null, null);
            float weightDecay = p.GetValue(l2);
            if (!(weightDecay >= 0)) throw new UsageException($"--l2 must be >= 0, got {weightDecay}.");
            int retrainEpochs = p.GetValue(retrain);
            CommonOptions.RequireNonNegative(retrainEpochs, "--retrain-epochs");
            var optimizer = baseRequest.Optimizer with { WeightDecay = Math.Max(weightDecay, baseRequest.Optimizer.WeightDecay) };
            var retrainConfig = optimizer with
            {
                Kind = p.GetValue(retrainOptimizer)?.ToLowerInvariant() ?? optimizer.Kind,
                LearningRate = p.GetValue(retrainLr) ?? optimizer.LearningRate,
                Schedule = p.GetValue(retrainSchedule) ?? optimizer.Schedule,
            };
            int shift = CommonOptions.ParseShift(p.GetValue(retrainShift), "--retrain-shift");
            if (shift > 0 && baseRequest.Augmentation is not null) throw new UsageException("--retrain-shift and --augment are two augmentations; give one.");
            try { retrainConfig.Validate(); retrainConfig.CreateSchedule(1); }
            catch (ArgumentException e) { throw new UsageException($"Retraining stage: {e.Message}"); }
            var request = new GrowlRequest
            {
                Spec = baseRequest.Spec, Regularizer = reg.Parse(p), Tying = tying.Parse(p),
                Optimizer = optimizer, RetrainOptimizer = retrainConfig,
                Augmentation = baseRequest.Augmentation,
                RetrainAugmentation = shift > 0 ? Knot.Data.CropFlipAugmentation.Shift(shift) : baseRequest.Augmentation,
                RetrainDistillation = distill.Parse(p, baseRequest.Spec),
                Epochs = baseRequest.Epochs, RetrainEpochs = retrainEpochs, BatchSize = baseRequest.BatchSize, Seed = baseRequest.Seed,
                Init = baseRequest.Init,
                OutDirectory = p.GetValue(output)!,
                Stage1Checkpoint = stage1Path,
            };
            o.Info($"GrOWL on [bold]{request.Spec.Name}[/]: {Markup.Escape(request.Regularizer.Describe())}, {request.Epochs} + {request.RetrainEpochs} epochs");
            var result = o.WithProgress("growl", progress => GrowlPipeline.Run(request, train, test,
                progress is null ? null : new Progress2(progress)));
            var summary = Summary(result);
            foreach (var warning in summary["warnings"]!.AsArray()) Output.Warn((string)warning!);
            Storage.Common.AtomicFile.Write(Path.Combine(request.OutDirectory, "summary.json"),
                s => s.Write(System.Text.Encoding.UTF8.GetBytes(Output.Serialize(summary.DeepClone()))));
            if (o.Json) o.WriteJson(summary);
            else Render(o, result);
            return ExitCodes.Success;
        }));
        return command;
    }

    private sealed class Progress2(IProgress<Knot.Training.TrainingProgress> inner) : IProgress<(string, Knot.Training.TrainingProgress)>
    {
        public void Report((string, Knot.Training.TrainingProgress) value) => inner.Report(value.Item2 with { Phase = value.Item1 + " " + value.Item2.Phase });
    }

    public static JsonObject Summary(GrowlResult r)
    {
        var total = r.Total;
        return new JsonObject
        {
            ["model"] = r.Stage2.Spec.Name,
            ["test_accuracy"] = r.Stage2.Test?.Accuracy,
            ["test_loss"] = r.Stage2.Test?.Loss,
            ["stage1_test_accuracy"] = r.Stage1.Test?.Accuracy,
            ["sparsity"] = total.Sparsity,
            ["sharing"] = total.ParameterSharing,
            ["compression"] = total.Compression,
            ["parameters"] = r.Parameters,
            ["unique_parameters"] = r.UniqueParameters,
            ["seconds"] = Math.Round(r.Stage1.Seconds + r.Stage2.Seconds, 3),
            ["layers"] = new JsonArray(r.Layers.Select(l => (JsonNode)new JsonObject
            {
                ["name"] = l.Name, ["shape"] = new JsonArray(l.Shape.Select(d => (JsonNode)d).ToArray()),
                ["groups"] = l.Metrics.Groups, ["zero_groups"] = l.Metrics.ZeroGroups, ["clusters"] = l.Metrics.Clusters,
                ["sparsity"] = l.Metrics.Sparsity, ["sharing"] = l.Metrics.ParameterSharing, ["compression"] = l.Metrics.Compression,
                ["preference"] = l.Preference,
                ["merged"] = l.Merged,
            }).ToArray()),
            ["files"] = new JsonObject { ["stage1"] = r.Stage1Path, ["structure"] = r.StructurePath, ["retrained"] = r.RetrainedPath },
            ["warnings"] = new JsonArray(CollapseWarnings(r.Layers.Select(l => (l.Name, l.Metrics))).Select(w => (JsonNode)w).ToArray()),
        };
    }

    /// <summary>The affinity-propagation preference for a table: the one a cluster cap searched, else <paramref name="otherwise"/>.</summary>
    public static string PreferenceCell(double? searched, bool merged, string otherwise) =>
        searched is { } p ? $"{p:G4} ({(merged ? "searched; clusters merged to the cap" : "searched")})" : otherwise;

    /// <summary>
    /// A regularized layer whose every input group died in stage 1 passes nothing on: in a plain feed-forward network the
    /// retrained model can only guess (growl-mnist past the λ cliff ends at 11% accuracy), so say so instead of leaving
    /// it to be read from the table. Not an error: in a residual network a dead branch is legitimate structured pruning.
    /// </summary>
    public static IEnumerable<string> CollapseWarnings(IEnumerable<(string Name, Knot.Compression.Tying.TyingMetrics Metrics)> layers) =>
        layers.Where(l => l.Metrics.Groups > 0 && l.Metrics.ZeroGroups == l.Metrics.Groups).Select(l =>
            $"stage 1 zeroed all {l.Metrics.Groups} input groups of {l.Name}: the layer passes nothing on. The regularizer is too strong " +
            "for this schedule: lower --lambda1/--lambda2, or, for a layer followed by BatchNorm, add --preserve-scale " +
            "(BENCHMARKS.md, \"The cause, and --preserve-scale\").");

    private static void Render(Output o, GrowlResult r)
    {
        var table = new Table().AddColumns("layer", "shape", "groups", "zero", "clusters", "sparsity", "sharing", "compression", "AP preference");
        foreach (var l in r.Layers)
            table.AddRow(l.Name, string.Join("×", l.Shape), l.Metrics.Groups.ToString(), l.Metrics.ZeroGroups.ToString(), l.Metrics.Clusters.ToString(),
                $"{l.Metrics.Sparsity:P1}", $"{l.Metrics.ParameterSharing:F2}", $"{l.Metrics.Compression:F1}×", PreferenceCell(l.Preference, l.Merged, "–"));
        o.Console.Write(table);
        o.Console.MarkupLine($"Test accuracy: stage 1 {r.Stage1.Test?.Accuracy:P2}, after retraining [bold green]{r.Stage2.Test?.Accuracy:P2}[/]; " +
            $"{r.UniqueParameters:N0} unique of {r.Parameters:N0} parameters; compression [bold]{r.Total.Compression:F1}×[/] on the regularized layers.");
    }
}
