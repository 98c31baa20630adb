using Knot.Compression.Growl;
using Knot.Optim;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>
/// A network trained from scratch (SGD, the context's lr and schedule, optionally weight decay or a proximal
/// regularizer), then packed as is: exact zeros and dead groups make the file smaller, nothing else does.
/// </summary>
public abstract class TrainedMethod : ComparisonMethod
{
    protected virtual float WeightDecay(ComparisonSettings s) => 0f;

    protected virtual RegularizerSpec? Regularizer(ComparisonSettings s) => null;

    public override string Command(ComparisonContext c)
    {
        var s = c.Settings;
        string extra = "";
        if (WeightDecay(s) > 0) extra += $" --weight-decay {ComparisonSettings.Number(WeightDecay(s))}";
        if (Regularizer(s) is { } r) extra += $" --reg {r.Kind} --lambda1 {ComparisonSettings.Number(r.Lambda1)}";
        string ckpt = CheckpointPath(c);
        return $"knot train {c.ModelDataSeed} --epochs {s.Epochs} --batch-size {s.BatchSize} --lr {ComparisonSettings.Number(s.LearningRate)} " +
            $"--lr-schedule {s.Schedule}{extra} --out {ckpt} && knot pack {ckpt} --out {KnotPath(c)}";
    }

    public override string Run(ComparisonContext c, string knotPath)
    {
        var s = c.Settings;
        string ckpt = CheckpointPath(c);
        var request = new TrainRequest
        {
            Spec = c.Spec, Optimizer = new OptimizerConfig("sgd", s.LearningRate, 0.9f, WeightDecay: WeightDecay(s), Schedule: s.Schedule),
            Epochs = s.Epochs, BatchSize = s.BatchSize, Seed = s.Seed, OutPath = ckpt,
        };
        if (Regularizer(s) is { } r) request = request.WithRegularizer(r, c.Train.Count);
        TrainingRun.Run(request, c.Train, c.Test, c.ProgressFor(Name), c.Cancellation);
        CheckpointPacker.Pack(ckpt, knotPath);
        return s.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Plain training, no compression: the reference row, and the pretrained network of Deep Compression and soft weight-sharing.</summary>
public sealed class BaselineMethod : TrainedMethod
{
    public const string MethodName = "baseline";

    public override string Name => MethodName;

    /// <summary>With --from the user's checkpoint is the baseline: packed, not retrained.</summary>
    public override string Command(ComparisonContext c) =>
        c.FromCheckpoint is { } from ? $"knot pack {from} --out {KnotPath(c)}" : base.Command(c);

    public override string Run(ComparisonContext c, string knotPath)
    {
        if (c.FromCheckpoint is not { } from) return base.Run(c, knotPath);
        var loaded = ModelCheckpoint.Load(from);
        if (loaded.Spec != c.Spec)
            throw new ArgumentException($"--from {Path.GetFileName(from)} holds model {loaded.Spec.Name} (width {loaded.Spec.Width}), but --model is {c.Spec.Name}.");
        CheckpointPacker.Pack(from, knotPath);
        return $"{loaded.EpochsDone} (--from {Path.GetFileName(from)})";
    }
}

/// <summary>ℓ2 weight decay: smaller weights, the same dense file.</summary>
public sealed class WeightDecayMethod : TrainedMethod
{
    public override string Name => "weight-decay";

    protected override float WeightDecay(ComparisonSettings s) => s.WeightDecay;
}

/// <summary>Group Lasso on every FC layer's input groups: whole input columns reach zero and are stored as absent.</summary>
public sealed class GroupLassoMethod : TrainedMethod
{
    public override string Name => "group-lasso";

    protected override RegularizerSpec? Regularizer(ComparisonSettings s) => new() { Kind = "group-lasso", Lambda1 = s.GroupLassoLambda };
}
