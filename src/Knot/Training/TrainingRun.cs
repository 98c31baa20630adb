using System.Diagnostics;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;

namespace Knot.Training;

/// <summary>What to train, for how long, and where to keep it.</summary>
public sealed record TrainRequest
{
    public required ModelSpec Spec { get; init; }
    public OptimizerConfig Optimizer { get; init; } = new();
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public ulong Seed { get; init; } = 1;

    /// <summary>Checkpoint written (atomically) after every epoch; null keeps the model in memory only.</summary>
    public string? OutPath { get; init; }

    /// <summary>Continue a run from its checkpoint; the result equals the uninterrupted run bit for bit.</summary>
    public string? ResumePath { get; init; }

    /// <summary>How a fresh model's Linear/Conv2d layers are initialised (ignored with InitialModel or ResumePath).</summary>
    public WeightInitScheme Init { get; init; } = WeightInitScheme.PyTorch;

    /// <summary>Start from these weights (e.g. a pretrained checkpoint) instead of a fresh initialisation.</summary>
    public Module? InitialModel { get; init; }

    /// <summary>Builds the compression hooks for the model (regularizers, penalties); called once the model exists.</summary>
    public Func<Module, IEnumerable<ITrainingHook>>? Hooks { get; init; }

    public CropFlipAugmentation? Augmentation { get; init; }

    /// <summary>Also learn from a teacher network's outputs (see <see cref="Training.Distillation"/>); null: labels only.</summary>
    public Distillation? Distillation { get; init; }

    /// <summary>Extra metadata written into every checkpoint (e.g. regularizer settings).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

public sealed record TrainResult(Module Model, ModelSpec Spec, List<EpochRecord> History, EvaluationResult? Test, double Seconds, long Parameters);

/// <summary>Builds model, optimizer and trainer from a request, trains, checkpoints each epoch, evaluates.</summary>
public static class TrainingRun
{
    public static TrainResult Run(TrainRequest request, LabeledDataset train, LabeledDataset? test,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (request.Epochs < 0) throw new ArgumentException($"--epochs must be >= 0, got {request.Epochs}.");
        if (request.BatchSize < 1) throw new ArgumentException($"--batch-size must be >= 1, got {request.BatchSize}.");
        request.Optimizer.Validate();
        CheckDataFitsModel(request.Spec, train);

        Module model;
        int startEpoch = 0;
        List<EpochRecord> history = [];
        LoadedModel? resumed = null;
        if (request.ResumePath is not null)
        {
            resumed = ModelCheckpoint.Load(request.ResumePath);
            if (resumed.Spec != request.Spec)
                throw new InvalidDataException($"{Path.GetFileName(request.ResumePath)} holds model {resumed.Spec.Name} (width {resumed.Spec.Width}) but {request.Spec.Name} (width {request.Spec.Width}) was requested.");
            if (resumed.Seed != request.Seed)
                throw new ArgumentException($"--seed {request.Seed} differs from the resumed run's seed {resumed.Seed}; a resumed run must keep its seed.");
            if (resumed.EpochsDone > request.Epochs)
                throw new ArgumentException($"{Path.GetFileName(request.ResumePath)}: epochs done {resumed.EpochsDone}, more than the {request.Epochs} asked for (--epochs).");
            string? before = resumed.Checkpoint.Metadata.GetValueOrDefault("regularizer"), now = request.Metadata?.GetValueOrDefault("regularizer");
            if (before != now)
                throw new ArgumentException($"The regularizer ({now ?? "none"}) differs from the resumed run's ({before ?? "none"}); a resumed run must keep its regularizer.");
            model = resumed.Model;
            startEpoch = resumed.EpochsDone;
            history = resumed.History;
        }
        else
        {
            model = request.InitialModel ?? CreateModel(request.Spec, request.Init, request.Seed);
        }

        var optimizer = request.Optimizer.Create(model.Parameters());
        if (resumed is not null) ModelCheckpoint.LoadOptimizer(resumed, optimizer);
        var trainer = new Trainer(model, optimizer, new TrainerOptions
        {
            Epochs = request.Epochs, BatchSize = request.BatchSize, Seed = request.Seed, StartEpoch = startEpoch,
            Schedule = request.Optimizer.CreateSchedule(request.Epochs), Augmentation = request.Augmentation,
            Distillation = request.Distillation,
        })
        { Progress = progress };
        trainer.History.AddRange(history);
        if (request.Hooks is not null) trainer.Hooks.AddRange(request.Hooks(model));
        if (resumed is not null) foreach (var hook in trainer.Hooks) hook.Resuming();
        if (request.OutPath is not null)
        {
            trainer.EpochCompleted = record => ModelCheckpoint.Save(request.OutPath, request.Spec, model, record.Epoch, request.Seed,
                optimizer, request.Optimizer, trainer.History, request.Metadata);
            if (startEpoch >= request.Epochs) // nothing left to run: still leave the requested file behind
                ModelCheckpoint.Save(request.OutPath, request.Spec, model, startEpoch, request.Seed, optimizer, request.Optimizer, trainer.History, request.Metadata);
        }

        var clock = Stopwatch.StartNew();
        trainer.Fit(train, test, cancellation);
        double seconds = clock.Elapsed.TotalSeconds;
        EvaluationResult? final = null;
        if (test is not null)
        {
            var last = trainer.History.Count > 0 ? trainer.History[^1] : null;
            final = last?.TestAccuracy is double acc && last.Epoch == request.Epochs && startEpoch < request.Epochs
                ? new EvaluationResult(last.TestLoss ?? double.NaN, acc, test.Count)
                : Evaluator.Evaluate(model, test);
        }
        return new TrainResult(model, request.Spec, trainer.History, final, seconds, model.ParameterCount());
    }

    /// <summary>A fresh zoo model with the seed's weights under <paramref name="init"/> (one generator for both steps).</summary>
    public static Module CreateModel(ModelSpec spec, WeightInitScheme init, ulong seed)
    {
        var rng = new KnotRandom(seed);
        var model = ModelZoo.Create(spec, rng);
        WeightInit.Apply(model, init, rng);
        return model;
    }

    public static void CheckDataFitsModel(ModelSpec spec, LabeledDataset data)
    {
        var s = data.ImageShape;
        int features = s.Size;
        if (features != spec.InputFeatures || data.ClassCount > spec.Classes)
            throw new ArgumentException($"Dataset '{data.Name}' has samples of shape {s} and {data.ClassCount} classes, but model {spec.Name} expects " +
                $"({spec.InputChannels}, {spec.InputHeight}, {spec.InputWidth}) and {spec.Classes} classes.");
    }
}
