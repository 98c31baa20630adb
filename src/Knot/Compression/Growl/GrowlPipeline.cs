using Knot.Compression.Tying;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Training;

namespace Knot.Compression.Growl;

public sealed record GrowlRequest
{
    public required ModelSpec Spec { get; init; }
    public RegularizerSpec Regularizer { get; init; } = new();
    public TyingOptions Tying { get; init; } = new();
    public Optim.OptimizerConfig Optimizer { get; init; } = new();
    public int Epochs { get; init; } = 30;
    public int RetrainEpochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public ulong Seed { get; init; } = 1;
    public WeightInitScheme Init { get; init; } = WeightInitScheme.PyTorch;

    /// <summary>Optimizer of the retraining stage; null: the same as stage 1's (<see cref="Optimizer"/>).</summary>
    public Optim.OptimizerConfig? RetrainOptimizer { get; init; }

    /// <summary>Training-image augmentation of stage 1 and of retraining (null: none).</summary>
    public CropFlipAugmentation? Augmentation { get; init; }
    public CropFlipAugmentation? RetrainAugmentation { get; init; }

    /// <summary>Knowledge distillation while retraining (null: labels only).</summary>
    public Distillation? RetrainDistillation { get; init; }

    /// <summary>Directory for stage1.ckpt, structure.json and retrained.ckpt.</summary>
    public required string OutDirectory { get; init; }

    /// <summary>
    /// A stage-1 checkpoint of an earlier run with the same stage-1 settings (model, seed, regularizer) to continue
    /// instead of training from scratch: stage 1 resumes it up to <see cref="Epochs"/> (nothing to train when it is
    /// finished) and is copied to the output directory; stage 2 then runs as asked. The result equals the
    /// uninterrupted run's bit for bit. Null: train stage 1.
    /// </summary>
    public string? Stage1Checkpoint { get; init; }
}

/// <param name="Preference">The affinity-propagation preference a cluster cap searched (null: none searched).</param>
/// <param name="Merged">No preference met the cap and the clusters were merged down to it (see <see cref="LayerStructure"/>).</param>
public sealed record LayerSummary(string Name, int[] Shape, TyingMetrics Metrics, double? Preference = null, bool Merged = false);

public sealed record GrowlResult(TrainResult Stage1, List<LayerStructure> Structure, TrainResult Stage2, List<LayerSummary> Layers,
    long Parameters, long UniqueParameters, string Stage1Path, string StructurePath, string RetrainedPath)
{
    public TyingMetrics Total => new(Layers.Sum(l => l.Metrics.Groups), Layers.Sum(l => l.Metrics.ZeroGroups), Layers.Sum(l => l.Metrics.Clusters));
}

/// <summary>
/// GrOWL's two stages (METHODS.md §1.4): train with the proximal regularizer; find zero groups and tied
/// groups (affinity propagation); retrain with that structure enforced and no prox (ℓ2 stays if given).
/// </summary>
public static class GrowlPipeline
{
    public static GrowlResult Run(GrowlRequest r, LabeledDataset train, LabeledDataset? test,
        IProgress<(string Stage, TrainingProgress Progress)>? progress = null, CancellationToken cancellation = default)
    {
        r.Regularizer.Validate();
        r.Tying.Validate();
        r.RetrainOptimizer?.Validate();
        string stage1Path = Path.Combine(r.OutDirectory, "stage1.ckpt");
        string structurePath = Path.Combine(r.OutDirectory, "structure.json");
        string retrainedPath = Path.Combine(r.OutDirectory, "retrained.ckpt");
        int stepsPerEpoch = (train.Count + r.BatchSize - 1) / r.BatchSize;
        var metadata = new Dictionary<string, string> { ["regularizer"] = r.Regularizer.Describe(), ["init"] = WeightInit.Name(r.Init) };

        var stage1 = TrainingRun.Run(new TrainRequest
        {
            Spec = r.Spec, Optimizer = r.Optimizer, Epochs = r.Epochs, BatchSize = r.BatchSize, Seed = r.Seed, OutPath = stage1Path,
            ResumePath = r.Stage1Checkpoint, Init = r.Init, Metadata = metadata, Augmentation = r.Augmentation,
            Hooks = model =>
            {
                var targets = r.Regularizer.Targets(r.Spec.Name, model);
                r.Tying.CheckLayers(targets.Select(t => t.Name)); // a mistyped --clusters layer fails now, not after stage 1
                Directory.CreateDirectory(r.OutDirectory); // only once the settings are known to fit the model
                return r.Regularizer.IsNone ? [] : [new ProximalHook(r.Regularizer, targets, stepsPerEpoch, model)];
            },
        }, train, test, Stage("train", progress), cancellation);

        var targets = r.Regularizer.Targets(r.Spec.Name, stage1.Model);
        var structure = GrowlStructure.Discover(targets, r.Tying);
        Storage.Common.AtomicFile.Write(structurePath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(GrowlStructure.ToJson(structure))));
        GrowlStructure.Attach(stage1.Model, structure);

        var stage2 = TrainingRun.Run(new TrainRequest
        {
            Spec = r.Spec, Optimizer = r.RetrainOptimizer ?? r.Optimizer, Epochs = r.RetrainEpochs, BatchSize = r.BatchSize, Seed = r.Seed + 1, OutPath = retrainedPath,
            InitialModel = stage1.Model, Augmentation = r.RetrainAugmentation, Distillation = r.RetrainDistillation,
            Metadata = RetrainMetadata(metadata, structure, r.RetrainDistillation),
        }, train, test, Stage("retrain", progress), cancellation);

        var layers = structure.Select(s => new LayerSummary(s.Name, s.Shape, s.ToTieMap().Metrics, s.Preference, s.Merged == true)).ToList();
        var (parameters, unique) = CountParameters(stage2.Model, structure);
        return new GrowlResult(stage1, structure, stage2, layers, parameters, unique, stage1Path, structurePath, retrainedPath);
    }

    /// <summary>All parameters, and the distinct ones once zero groups are dropped and each cluster is stored once.</summary>
    public static (long Parameters, long Unique) CountParameters(Module model, IEnumerable<LayerStructure> structure)
    {
        long total = model.ParameterCount(), unique = total;
        foreach (var s in structure)
        {
            var map = s.ToTieMap();
            unique -= map.Layout.Size;
            unique += (long)map.ClusterCount * map.Layout.GroupSize;
        }
        return (total, unique);
    }

    private static Dictionary<string, string> RetrainMetadata(Dictionary<string, string> stage1, List<LayerStructure> structure, Distillation? distillation)
    {
        var metadata = new Dictionary<string, string>(stage1) { ["structure"] = GrowlStructure.ToJson(structure) };
        if (distillation is not null) metadata["distillation"] = distillation.Describe();
        return metadata;
    }

    private static IProgress<TrainingProgress>? Stage(string name, IProgress<(string, TrainingProgress)>? progress) =>
        progress is null ? null : new StageProgress(name, progress);

    private sealed class StageProgress(string name, IProgress<(string, TrainingProgress)> inner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Report((name, value));
    }
}
