using System.Globalization;
using Knot.Compression.DeepCompression;
using Knot.Compression.Growl;
using Knot.Compression.SoftSharing;
using Knot.Nn;
using Knot.Optim;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>
/// GrOWL's two stages (<see cref="GrowlPipeline"/>) from scratch on every FC layer's input groups, then the retrained
/// checkpoint packed with its structure finalized (dead inputs removed, tied inputs merged).
/// </summary>
public sealed class GrowlMethod : ComparisonMethod
{
    public override string Name => "growl";

    private static RegularizerSpec Regularizer(ComparisonSettings s) =>
        new() { Kind = "growl", Family = "pld", Lambda1 = s.GrowlLambda1, Lambda2 = s.GrowlLambda2, Rho = 0.5, Every = 1 };

    public override string Command(ComparisonContext c)
    {
        var s = c.Settings;
        var r = Regularizer(s);
        string dir = c.MethodDirectory(Name);
        return $"knot growl {c.ModelDataSeed} --epochs {s.Epochs} --retrain-epochs {s.GrowlRetrainEpochs} --batch-size {s.BatchSize} " +
            $"--lr {ComparisonSettings.Number(s.LearningRate)} --lr-schedule {s.Schedule} --reg growl --lambda-family pld " +
            $"--lambda1 {ComparisonSettings.Number(r.Lambda1)} --lambda2 {ComparisonSettings.Number(r.Lambda2)} --rho 0.5 --prox-every 1 " +
            $"--out {dir} && knot pack {Path.Combine(dir, "retrained.ckpt")} --out {KnotPath(c)}";
    }

    public override string Run(ComparisonContext c, string knotPath)
    {
        var s = c.Settings;
        var result = GrowlPipeline.Run(new GrowlRequest
        {
            Spec = c.Spec, Regularizer = Regularizer(s), Tying = new TyingOptions(),
            Optimizer = new OptimizerConfig("sgd", s.LearningRate, 0.9f, Schedule: s.Schedule),
            Epochs = s.Epochs, RetrainEpochs = s.GrowlRetrainEpochs, BatchSize = s.BatchSize, Seed = s.Seed, OutDirectory = c.MethodDirectory(Name),
        }, c.Train, c.Test, c.Progress is null ? null : new StageProgress(c.ProgressFor(Name)!), c.Cancellation);
        CheckpointPacker.Pack(result.RetrainedPath, knotPath);
        return string.Create(CultureInfo.InvariantCulture, $"{s.Epochs} + {s.GrowlRetrainEpochs} retrain");
    }

    private sealed class StageProgress(IProgress<TrainingProgress> inner) : IProgress<(string Stage, TrainingProgress Progress)>
    {
        public void Report((string Stage, TrainingProgress Progress) value) => inner.Report(value.Progress with { Phase = value.Stage + " " + value.Progress.Phase });
    }
}

/// <summary>Deep Compression (<see cref="DeepCompressionPipeline"/>) of the pretrained network: prune, retrain, k-means, fine-tune, Huffman.</summary>
public sealed class DeepCompressionMethod : ComparisonMethod
{
    public override string Name => "dc";

    public override bool UsesPretrained => true;

    private static DeepCompressionOptions Options(ComparisonContext c)
    {
        var s = c.Settings;
        return new DeepCompressionOptions
        {
            LayerPruning = s.DcPruningFor(c.Spec.Name), RetrainEpochs = s.DcRetrainEpochs, FineTuneEpochs = s.DcFineTuneEpochs,
            BatchSize = s.BatchSize, Seed = s.Seed, Optimizer = new OptimizerConfig("sgd", s.DcLearningRate, 0.9f, Schedule: "cosine"),
        };
    }

    public override string Command(ComparisonContext c)
    {
        var s = c.Settings;
        var rules = s.DcPruningFor(c.Spec.Name);
        string pruning = rules.Count == 0 ? "--quality 1" : RulesText(rules);
        return $"knot dc --from {c.PretrainedCheckpoint} --data {c.DataSpec} {pruning} --retrain-epochs {s.DcRetrainEpochs} " +
            $"--lr {ComparisonSettings.Number(s.DcLearningRate)} --finetune-epochs {s.DcFineTuneEpochs} --batch-size {s.BatchSize} --seed {s.Seed} --out {KnotPath(c)}";
    }

    /// <summary>`--sparsity fc1=0.93,...` when every rule is a sparsity, else `--quality ...` (the CLI takes one kind at a time).</summary>
    private static string RulesText(IReadOnlyDictionary<string, PruningRule> rules)
    {
        bool sparsity = rules.Values.All(r => r.Sparsity is not null);
        if (!sparsity && !rules.Values.All(r => r.Quality is not null))
            throw new ArgumentException("Deep Compression pruning mixes quality and sparsity rules; `knot dc` takes one kind.");
        string items = string.Join(",", rules.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}={ComparisonSettings.Number(sparsity ? kv.Value.Sparsity!.Value : kv.Value.Quality!.Value)}"));
        return (sparsity ? "--sparsity " : "--quality ") + items;
    }

    public override string Run(ComparisonContext c, string knotPath)
    {
        var loaded = ModelCheckpoint.Load(c.PretrainedCheckpoint);
        if (loaded.Model is not Sequential model)
            throw new ArgumentException($"{Path.GetFileName(c.PretrainedCheckpoint)}: model {loaded.Spec.Name} is not a plain sequential network.");
        var options = Options(c);
        DeepCompressionPipeline.Run(model, loaded.Spec, options, c.Train, c.Test, knotPath, c.ProgressFor(Name), c.Cancellation);
        return string.Create(CultureInfo.InvariantCulture, $"{loaded.EpochsDone} pretrained + {options.RetrainEpochs} retrain + {options.FineTuneEpochs} fine-tune");
    }
}

/// <summary>Soft weight-sharing (<see cref="SoftSharingPipeline"/>) of the pretrained network: retrain under the mixture prior, snap, one shared codebook.</summary>
public sealed class SoftSharingMethod : ComparisonMethod
{
    public override string Name => "sws";

    public override bool UsesPretrained => true;

    public override string Command(ComparisonContext c)
    {
        var s = c.Settings;
        return $"knot sws --from {c.PretrainedCheckpoint} --data {c.DataSpec} --epochs {s.SwsEpochs} --tau {ComparisonSettings.Number(s.SwsTau)} --seed {s.Seed} --out {KnotPath(c)}";
    }

    public override string Run(ComparisonContext c, string knotPath)
    {
        var s = c.Settings;
        var pretrained = ModelCheckpoint.Load(c.PretrainedCheckpoint);
        SoftSharingPipeline.Run(new SoftSharingRequest
        {
            CheckpointPath = c.PretrainedCheckpoint, OutPath = knotPath, Epochs = s.SwsEpochs, Tau = s.SwsTau, Seed = s.Seed,
        }, c.Train, c.Test, c.ProgressFor(Name), c.Cancellation);
        return string.Create(CultureInfo.InvariantCulture, $"{pretrained.EpochsDone} pretrained + {s.SwsEpochs}");
    }
}
