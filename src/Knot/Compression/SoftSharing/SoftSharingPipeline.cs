using Knot.Storage.Models;
using System.Globalization;
using System.Text.Json;
using Knot.Compression.Accounting;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Storage.Compressed;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Compression.SoftSharing;

/// <summary>What soft weight-sharing compression should do (METHODS.md §2; defaults = the public SWS tutorial).</summary>
public sealed record SoftSharingRequest
{
    /// <summary>The pretrained model checkpoint to compress.</summary>
    public required string CheckpointPath { get; init; }

    /// <summary>The .knot file to write; a Knot checkpoint of the same quantized model goes next to it (".ckpt").</summary>
    public required string OutPath { get; init; }

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam learning rate of the network weights (group 1 of the four).</summary>
    public float LearningRate { get; init; } = 5e-4f;

    /// <summary>Learning-rate schedule of the weights (constant in the tutorial), as for `knot train --lr-schedule`.</summary>
    public string Schedule { get; init; } = "constant";

    public ulong Seed { get; init; } = 1;
    public float Tau { get; init; } = 0.003f;
    public int TauWarmupEpochs { get; init; }
    public GaussianMixturePriorOptions Prior { get; init; } = new();
    public float MeanLearningRate { get; init; } = 1e-4f;
    public float LogPrecisionLearningRate { get; init; } = 3e-3f;
    public float MixingLearningRate { get; init; } = 3e-3f;

    /// <summary>Put the biases (rank-1 parameters) under the prior too; by default they stay float32.</summary>
    public bool IncludeBiases { get; init; }

    public ComponentAssignment Assignment { get; init; } = ComponentAssignment.MaximumAPosteriori;
    public double MergeKlThreshold { get; init; } = MixtureMerging.TutorialKlThreshold;

    /// <summary>
    /// Where to save the retrained model before quantization (dense weights plus the trained prior in metadata
    /// "sws.prior"); null saves nothing. Such a checkpoint given as <see cref="CheckpointPath"/> with 0 epochs
    /// re-quantizes with the trained prior (e.g. to compare MAP and ML) without retraining.
    /// </summary>
    public string? RetrainedPath { get; init; }

    /// <summary>When the input checkpoint carries a trained prior ("sws.prior"), start from it instead of a fresh one.</summary>
    public bool ReusePrior { get; init; } = true;

    /// <summary>Relative-index bits of the paper's storage accounting (Deep Compression uses 5 for fully connected layers).</summary>
    public int AccountingIndexBits { get; init; } = 5;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(CheckpointPath)) throw new ArgumentException("CheckpointPath is empty.", nameof(CheckpointPath));
        if (string.IsNullOrWhiteSpace(OutPath)) throw new ArgumentException("OutPath is empty.", nameof(OutPath));
        if (Epochs < 0) throw new ArgumentException($"Epochs must be >= 0, got {Epochs}.", nameof(Epochs));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be >= 1, got {BatchSize}.", nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"LearningRate must be > 0, got {LearningRate}.", nameof(LearningRate));
        if (AccountingIndexBits is < 1 or > 16) throw new ArgumentException($"AccountingIndexBits must be in [1, 16], got {AccountingIndexBits}.", nameof(AccountingIndexBits));
        Prior.Validate();
        HookOptions(1).Validate();
        new OptimizerConfig("adam", LearningRate, Schedule: Schedule).CreateSchedule(Math.Max(1, Epochs));
    }

    internal SoftSharingHookOptions HookOptions(int trainingSetSize) => new()
    {
        Tau = Tau, TrainingSetSize = trainingSetSize, MeanLearningRate = MeanLearningRate, LogPrecisionLearningRate = LogPrecisionLearningRate,
        MixingLearningRate = MixingLearningRate, TauWarmupEpochs = TauWarmupEpochs, Assignment = Assignment, MergeKlThreshold = MergeKlThreshold,
    };
}

/// <summary>Test accuracy/loss at the three stages, the quantization, the files and their sizes.</summary>
public sealed record SoftSharingResult(
    ModelSpec Spec,
    Module Model,
    EvaluationResult? Pretrained,
    EvaluationResult? Retrained,
    EvaluationResult? Quantized,
    IReadOnlyList<EpochRecord> History,
    MixtureComponent[] Components,
    MixtureComponent[] MergedComponents,
    SoftSharingQuantization Quantization,
    IReadOnlyList<string> QuantizedTensorNames,
    string KnotPath,
    string CheckpointPath,
    long FileBytes,
    long DenseBytes,
    ModelStorage PaperStorage,
    ModelStorage PaperStorageHuffman,
    double Seconds)
{
    /// <summary>The prior's components before retraining (as initialised or restored), for reports.</summary>
    public MixtureComponent[] InitialComponents { get; init; } = [];

    /// <summary>Copies of the covered weights before retraining (pretrained), per tensor, for reports.</summary>
    public IReadOnlyList<float[]> PretrainedWeights { get; init; } = [];

    /// <summary>Copies of the covered weights after retraining, before quantization, per tensor, for reports.</summary>
    public IReadOnlyList<float[]> RetrainedWeights { get; init; } = [];

    /// <summary>Dense float32 bytes of all parameters / bytes of the .knot file.</summary>
    public double FileRatio => FileBytes == 0 ? double.PositiveInfinity : (double)DenseBytes / FileBytes;
}

/// <summary>
/// Soft weight-sharing end to end: load a pretrained checkpoint, put a Gaussian-mixture prior (means spread over the
/// pretrained weights' range) on its weights, retrain weights and prior together, merge near-identical components,
/// snap every weight to its component's mean (the zero component gives exactly 0), evaluate at each stage and write
/// the quantized model as a .knot file (one codebook shared by all quantized tensors) and as a Knot checkpoint.
/// </summary>
public static class SoftSharingPipeline
{
    public const string CodebookMetadataKey = "sws.codebook";

    /// <summary>Metadata key of a trained prior's parameters in a retrained checkpoint.</summary>
    public const string PriorMetadataKey = "sws.prior";

    public static SoftSharingResult Run(SoftSharingRequest request, LabeledDataset train, LabeledDataset? test,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(train);
        request.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var loaded = ModelCheckpoint.Load(request.CheckpointPath);
        TrainingRun.CheckDataFitsModel(loaded.Spec, train);
        var model = loaded.Model;
        var pretrained = test is null ? (EvaluationResult?)null : Evaluator.Evaluate(model, test);

        var covered = SoftSharingHook.SelectWeights(model, request.IncludeBiases);
        if (covered.Count == 0) throw new ArgumentException($"Model {loaded.Spec.Name} has no weight tensors to put under the prior.", nameof(request));
        var prior = request.ReusePrior && loaded.Checkpoint.Metadata.TryGetValue(PriorMetadataKey, out var savedPrior)
            ? SoftSharingPriorState.Restore(savedPrior, request.Prior, Path.GetFileName(request.CheckpointPath))
            : GaussianMixturePrior.FromWeights(covered.Select(c => c.Parameter.Value.Data).ToList(), request.Prior);
        var hook = new SoftSharingHook(prior, covered.Select(c => c.Parameter.Value).ToList(), request.HookOptions(train.Count));
        var initialComponents = prior.GetComponents();
        var pretrainedWeights = covered.Select(c => (float[])c.Parameter.Value.Data.Clone()).ToList();

        var run = TrainingRun.Run(new TrainRequest
        {
            Spec = loaded.Spec, InitialModel = model, Optimizer = new OptimizerConfig("adam", request.LearningRate, Schedule: request.Schedule),
            Epochs = request.Epochs, BatchSize = request.BatchSize, Seed = request.Seed, Hooks = _ => [hook],
        }, train, test, progress, cancellation);
        var retrained = run.Test;
        if (request.RetrainedPath is not null)
        {
            ModelCheckpoint.Save(request.RetrainedPath, loaded.Spec, model, run.History.Count, request.Seed, history: run.History,
                extraMetadata: new Dictionary<string, string>(StringComparer.Ordinal) { [PriorMetadataKey] = SoftSharingPriorState.Save(prior) });
        }

        var retrainedWeights = covered.Select(c => (float[])c.Parameter.Value.Data.Clone()).ToList();
        var components = prior.GetComponents();
        var merged = MixtureMerging.Merge(components, request.MergeKlThreshold);
        var quantization = SoftSharingQuantizer.Quantize(covered.Select(c => c.Parameter.Value.Data).ToList(), merged, request.Assignment);
        for (int t = 0; t < covered.Count; t++) quantization.Weights[t].AsSpan().CopyTo(covered[t].Parameter.Value.Data);
        var quantized = test is null ? (EvaluationResult?)null : Evaluator.Evaluate(model, test);

        string knotPath = request.OutPath;
        string ckptPath = CheckpointPathFor(knotPath);
        var names = covered.Select(c => c.Name).ToList();
        long fileBytes = WriteKnot(knotPath, loaded.Spec, model, names, quantization.Codebook, request);
        ModelCheckpoint.Save(ckptPath, loaded.Spec, model, run.History.Count, request.Seed, history: run.History,
            extraMetadata: Metadata(quantization.Codebook, request));

        var (pq, pqh) = PaperAccounting(covered.Select(c => c.Name).ToList(), quantization, request.AccountingIndexBits);
        return new SoftSharingResult(loaded.Spec, model, pretrained, retrained, quantized, run.History, components, merged, quantization, names,
            knotPath, ckptPath, fileBytes, 4L * model.ParameterCount(), pq, pqh, clock.Elapsed.TotalSeconds)
        {
            InitialComponents = initialComponents, PretrainedWeights = pretrainedWeights, RetrainedWeights = retrainedWeights,
        };
    }

    /// <summary>Where the checkpoint copy of a .knot output goes: same name with ".ckpt".</summary>
    public static string CheckpointPathFor(string knotPath)
    {
        string ckpt = Path.ChangeExtension(knotPath, ".ckpt");
        return string.Equals(ckpt, knotPath, StringComparison.Ordinal) ? knotPath + ".ckpt" : ckpt;
    }

    /// <summary>
    /// The paper's storage accounting of the quantized tensors (Deep Compression, as SWS reports it): per layer the
    /// non-zeros (plus fillers) cost ⌈log2 K⌉ weight bits + the index bits, the codebook K·32 bits; and the same with
    /// Huffman-coded weight codes and gaps. K counts the zero entry.
    /// </summary>
    public static (ModelStorage Pq, ModelStorage PqHuffman) PaperAccounting(IReadOnlyList<string> names, SoftSharingQuantization q, int indexBits)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(q);
        int k = q.Codebook.Length;
        int weightBits = Math.Max(1, (int)Math.Ceiling(Math.Log2(k)));
        var pq = new List<LayerStorage>();
        var pqh = new List<LayerStorage>();
        for (int t = 0; t < q.Weights.Count; t++)
        {
            pq.Add(DeepCompressionAccounting.FromWeights(names[t], q.Weights[t], weightBits, indexBits, k));
            var idx = q.Indices[t];
            var codes = new int[idx.Length];
            for (int i = 0; i < idx.Length; i++) codes[i] = idx[i] == 0 ? -1 : idx[i];
            pqh.Add(DeepCompressionAccounting.PrunedQuantizedHuffman(names[t], codes, k, indexBits));
        }
        return (new ModelStorage(pq), new ModelStorage(pqh));
    }

    /// <summary>
    /// Writes the model as a .knot file: the quantized tensors share one codebook (0 first), everything else
    /// (biases, buffers) is stored with whatever float encoding is smallest. Returns the file's size in bytes.
    /// </summary>
    public static long WriteKnot(string path, ModelSpec spec, Module model, IReadOnlyList<string> quantizedNames, float[] codebook, SoftSharingRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(quantizedNames);
        if (model is not Sequential sequential)
            throw new NotSupportedException($"Soft weight-sharing files describe sequential networks; {spec.Name} is not one.");
        var plans = quantizedNames.ToDictionary(n => n, _ => new TensorStoragePlan(codebook, null), StringComparer.Ordinal);
        KnotModelFile.Write(path, sequential, spec, Metadata(codebook, request), plans);
        return new FileInfo(path).Length;
    }

    /// <summary>Rebuilds the model stored by <see cref="WriteKnot"/>.</summary>
    public static (ModelSpec Spec, Module Model) ReadKnot(string path)
    {
        var loaded = KnotModelFile.Read(path);
        return (loaded.Spec ?? throw new InvalidDataException($"{Path.GetFileName(path)}: metadata 'model.spec' is missing; the file does not describe a zoo model."), loaded.Model);
    }

    private static Dictionary<string, string> Metadata(float[] codebook, SoftSharingRequest? request)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CodebookMetadataKey] = JsonSerializer.Serialize(codebook),
            ["knot.method"] = "soft-weight-sharing",
        };
        if (request is not null)
        {
            meta["sws.settings"] = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["tau"] = request.Tau, ["components"] = request.Prior.LearnedComponents, ["pi0"] = request.Prior.ZeroMixing,
                ["learn_pi0"] = request.Prior.LearnZeroMixing, ["epochs"] = request.Epochs, ["batch_size"] = request.BatchSize,
                ["lr"] = request.LearningRate, ["lr_schedule"] = request.Schedule, ["assign"] = request.Assignment == ComponentAssignment.MaximumAPosteriori ? "map" : "ml",
                ["merge_kl"] = request.MergeKlThreshold, ["include_biases"] = request.IncludeBiases,
            });
        }
        return meta;
    }
}
