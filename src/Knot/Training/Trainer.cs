using System.Diagnostics;
using Knot.Autograd.Ops;
using Knot.Data;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;

namespace Knot.Training;

public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public ulong Seed { get; init; }
    public LearningRateSchedule Schedule { get; init; } = new ConstantSchedule();

    /// <summary>First epoch to run (0-based): a resumed run starts where the checkpoint stopped.</summary>
    public int StartEpoch { get; init; }

    public int EvaluationBatchSize { get; init; } = 1000;

    /// <summary>Steps between progress reports.</summary>
    public int ProgressEvery { get; init; } = 10;

    public CropFlipAugmentation? Augmentation { get; init; }

    /// <summary>Train towards a teacher network's outputs as well as the labels (null: labels only).</summary>
    public Distillation? Distillation { get; init; }
}

/// <summary>
/// The training loop: for each step, forward → cross-entropy → backward → hooks (smooth penalties) →
/// constraint gradient transforms → optimizer step → hooks (proximal operators) → constraints re-imposed.
/// Intermediate tensors live in a <see cref="TensorArena"/> that is reset every step, so steady-state steps
/// allocate (almost) nothing. Batch order is a function of (seed, epoch), so a run resumed at an epoch
/// boundary replays exactly what the uninterrupted run would have done.
/// </summary>
public sealed class Trainer
{
    private readonly TensorArena _arena = new();
    private readonly StepContext _context;

    public Trainer(Module model, Optimizer optimizer, TrainerOptions options)
    {
        Model = model;
        Optimizer = optimizer;
        Options = options;
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "Epochs must be >= 0.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "Batch size must be >= 1.");
        options.Distillation?.Validate();
        _context = new StepContext(model, optimizer);
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public TrainerOptions Options { get; }
    public List<ITrainingHook> Hooks { get; } = [];
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Called after each finished epoch (e.g. to write a checkpoint) with the epoch's record.</summary>
    public Action<EpochRecord>? EpochCompleted { get; set; }

    /// <summary>Records of the epochs run by <see cref="Fit"/>.</summary>
    public List<EpochRecord> History { get; } = [];

    public DataLoader CreateLoader(LabeledDataset train) => new(train, new DataLoaderOptions
    {
        BatchSize = Options.BatchSize, Shuffle = true, Seed = Options.Seed, Augmentation = Options.Augmentation,
    });

    public List<EpochRecord> Fit(LabeledDataset train, LabeledDataset? test, CancellationToken cancellation = default)
    {
        var loader = CreateLoader(train);
        int steps = (train.Count + Options.BatchSize - 1) / Options.BatchSize;
        var total = Stopwatch.StartNew();
        _context.GlobalStep = (long)Options.StartEpoch * steps; // a resumed run keeps the step count hooks schedule by (prox every K steps)
        for (int epoch = Options.StartEpoch; epoch < Options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            Optimizer.SetLearningRateFactor(Options.Schedule.Factor(epoch));
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, seen = 0;
            foreach (var batch in loader.Epoch(epoch))
            {
                cancellation.ThrowIfCancellationRequested();
                var (loss, right) = Step(batch, epoch, batch.Index, steps);
                lossSum += loss * batch.Count;
                correct += right;
                seen += batch.Count;
                if (Progress is not null && (batch.Index % Options.ProgressEvery == 0 || batch.Index == steps - 1))
                    Progress.Report(new TrainingProgress(epoch, Options.Epochs, batch.Index + 1, steps, lossSum / seen,
                        (double)correct / seen, seen / Math.Max(1e-9, clock.Elapsed.TotalSeconds), total.Elapsed, "train"));
            }
            EnsureFiniteWeights(epoch);
            if (Hooks.Exists(h => h.StaleBatchNormStatistics)) BatchNormCalibration.Recalibrate(Model, train, arena: _arena);
            var record = new EpochRecord
            {
                Epoch = epoch + 1, TrainLoss = seen > 0 ? lossSum / seen : double.NaN, TrainAccuracy = seen > 0 ? (double)correct / seen : double.NaN,
                LearningRate = Optimizer.Groups[0].LearningRate, Seconds = clock.Elapsed.TotalSeconds,
            };
            if (test is not null)
            {
                Progress?.Report(new TrainingProgress(epoch, Options.Epochs, steps, steps, record.TrainLoss, record.TrainAccuracy, 0, total.Elapsed, "eval"));
                var eval = Evaluator.Evaluate(Model, test, Options.EvaluationBatchSize, _arena);
                record.TestLoss = eval.Loss;
                record.TestAccuracy = eval.Accuracy;
            }
            foreach (var hook in Hooks) hook.AfterEpoch(record);
            History.Add(record);
            EpochCompleted?.Invoke(record);
        }
        return History;
    }

    /// <summary>One optimisation step on a batch; returns the batch's mean loss (incl. penalties) and correct count.</summary>
    public (double Loss, int Correct) Step(Batch batch, int epoch = 0, int stepInEpoch = 0, int stepsPerEpoch = 1)
    {
        using var scope = _arena.Activate();
        _arena.Reset();
        Optimizer.ZeroGrad();
        Model.Train();
        var logits = Model.Forward(batch.Images);
        var loss = Op.CrossEntropy(logits, batch.Labels, batch.Labels);
        if (Options.Distillation is { } distillation) loss = WithDistillation(loss, logits, batch.Images, distillation);
        double lossValue = loss.Item();
        if (!double.IsFinite(lossValue))
            throw new TrainingDivergedException($"Training diverged at epoch {epoch + 1}, step {stepInEpoch + 1}: the loss is {lossValue}. Lower the learning rate or check the data.");
        int correct = Metrics.CountCorrect(logits, batch.Labels);
        loss.Backward();

        _context.Epoch = epoch;
        _context.StepInEpoch = stepInEpoch;
        _context.StepsPerEpoch = stepsPerEpoch;
        _context.BatchSize = batch.Count;
        foreach (var hook in Hooks) lossValue += hook.AfterBackward(_context);
        ForEachConstraint(enforce: false);
        Optimizer.Step();
        foreach (var hook in Hooks) hook.AfterStep(_context);
        ForEachConstraint(enforce: true);
        _context.GlobalStep++;
        return (lossValue, correct);
    }

    private static Tensor WithDistillation(Tensor crossEntropy, Tensor logits, Tensor images, Distillation d)
    {
        Tensor teacherLogits;
        using (Autograd.GradMode.NoGrad())
        {
            d.Teacher.Eval();
            teacherLogits = d.Teacher.Forward(images);
        }
        var soft = Op.Distillation(logits, teacherLogits, d.Temperature);
        return Op.Add(Op.Scale(crossEntropy, 1 - d.Weight), Op.Scale(soft, d.Weight));
    }

    /// <summary>Calls every parameter constraint; index loops because interface enumerators would allocate per step.</summary>
    private void ForEachConstraint(bool enforce)
    {
        var groups = Optimizer.Groups;
        for (int g = 0; g < groups.Count; g++)
        {
            var ps = groups[g].Parameters;
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                for (int c = 0; c < p.Constraints.Count; c++)
                {
                    if (enforce) p.Constraints[c].Enforce(p);
                    else p.Constraints[c].TransformGradient(p);
                }
            }
        }
    }

    private void EnsureFiniteWeights(int epoch)
    {
        foreach (var (name, p) in Model.NamedParameters())
        {
            foreach (var v in p.Value.Data)
            {
                if (!float.IsFinite(v))
                    throw new TrainingDivergedException($"Training diverged in epoch {epoch + 1}: parameter '{name}' contains {v}. Lower the learning rate.");
            }
        }
    }
}
