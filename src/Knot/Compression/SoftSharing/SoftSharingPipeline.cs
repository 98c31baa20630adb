using Knot.Storage.Models;
using System.Globalization;
using System.Text.Json;
using Knot.Compression.Accounting;
using Knot.Compression.Combined;
using Knot.Compression.DeepCompression;
using Knot.Compression.Growl;
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

    /// <summary>
    /// Random translation by up to this many pixels (zero-padded crop, no flip) of the training images while retraining
    /// under the prior; 0 (the paper, which did not augment) trains on the images as they are.
    /// </summary>
    public int ShiftPixels { get; init; }

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

    /// <summary>
    /// GrOWL structure to keep (the combined pipeline, GrOWL first): zero input groups stay 0 and tied groups stay
    /// identical during retraining (<see cref="TieConstraint"/>, plus a mask on the producer rows that finalizing
    /// removes), the prior covers only the distinct weights (<see cref="DistinctWeights"/>), and the .knot file stores
    /// the finalized network (removed units, merged tied inputs) with the shared codebook. Null: plain SWS.
    /// </summary>
    public IReadOnlyList<LayerStructure>? Structure { get; init; }

    /// <summary>Relative-index bits of the paper's storage accounting (Deep Compression uses 5 for fully connected layers).</summary>
    public int AccountingIndexBits { get; init; } = 5;

    /// <summary>Bits of the stored layer biases: 32, or 16 (rounded to float16 with the quantization, before its evaluation).</summary>
    public int BiasBits { get; init; } = 32;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(CheckpointPath)) throw new ArgumentException("CheckpointPath is empty.", nameof(CheckpointPath));
        if (string.IsNullOrWhiteSpace(OutPath)) throw new ArgumentException("OutPath is empty.", nameof(OutPath));
        if (Epochs < 0) throw new ArgumentException($"Epochs must be >= 0, got {Epochs}.", nameof(Epochs));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be >= 1, got {BatchSize}.", nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"LearningRate must be > 0, got {LearningRate}.", nameof(LearningRate));
        Data.CropFlipAugmentation.ValidateShift(ShiftPixels);
        if (AccountingIndexBits is < 1 or > 16) throw new ArgumentException($"AccountingIndexBits must be in [1, 16], got {AccountingIndexBits}.", nameof(AccountingIndexBits));
        BiasPrecision.Validate(BiasBits, nameof(BiasBits));
        if (BiasBits != 32 && IncludeBiases)
            throw new ArgumentException($"BiasBits (--bias-bits) {BiasBits} conflicts with IncludeBiases (--include-biases): biases under the prior are stored on the codebook.", nameof(BiasBits));
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
    double Seconds,
    CombinedStructureSummary? Growl = null)
{
    /// <summary>The prior's components before retraining (as initialised or restored), for reports.</summary>
    public MixtureComponent[] InitialComponents { get; init; } = [];

    /// <summary>Copies of the covered weights before retraining (pretrained), per tensor, for reports.</summary>
    public IReadOnlyList<float[]> PretrainedWeights { get; init; } = [];

    /// <summary>Copies of the covered weights after retraining, before quantization, per tensor, for reports.</summary>
    public IReadOnlyList<float[]> RetrainedWeights { get; init; } = [];

    /// <summary>
    /// Stored non-zero weights / all weights the prior was put on in the dense model (with a GrOWL structure the file
    /// stores tied groups once and removed weights not at all, so this is below the dense model's non-zero share).
    /// </summary>
    public double NonZeroFraction => Growl is { } g ? (g.CoveredWeights == 0 ? 0 : (double)Quantization.NonZeroCount / g.CoveredWeights) : Quantization.NonZeroFraction;

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
        var covered = SoftSharingHook.SelectWeights(model, request.IncludeBiases);
        if (covered.Count == 0) throw new ArgumentException($"Model {loaded.Spec.Name} has no weight tensors to put under the prior.", nameof(request));
        var structure = request.Structure;
        var view = structure is null ? null : ImposeStructure(model, covered, structure);
        // The start model is evaluated with the structure imposed (GrOWL's retrained checkpoints already satisfy it).
        var pretrained = test is null ? (EvaluationResult?)null : Evaluator.Evaluate(model, test);

        IReadOnlyList<Tensor> underPrior = view is null ? covered.Select(c => c.Parameter.Value).ToList() : view.Compact;
        var prior = request.ReusePrior && loaded.Checkpoint.Metadata.TryGetValue(PriorMetadataKey, out var savedPrior)
            ? SoftSharingPriorState.Restore(savedPrior, request.Prior, Path.GetFileName(request.CheckpointPath))
            : GaussianMixturePrior.FromWeights(underPrior.Select(t => t.Data).ToList(), request.Prior);
        var hook = new SoftSharingHook(prior, underPrior, request.HookOptions(train.Count));
        ITrainingHook trainingHook = view is null ? hook : new DistinctSoftSharingHook(hook, view);
        var initialComponents = prior.GetComponents();
        var pretrainedWeights = covered.Select(c => (float[])c.Parameter.Value.Data.Clone()).ToList();

        var run = TrainingRun.Run(new TrainRequest
        {
            Spec = loaded.Spec, InitialModel = model, Optimizer = new OptimizerConfig("adam", request.LearningRate, Schedule: request.Schedule),
            Epochs = request.Epochs, BatchSize = request.BatchSize, Seed = request.Seed, Hooks = _ => [trainingHook],
            Augmentation = CropFlipAugmentation.Shift(request.ShiftPixels),
        }, train, test, progress, cancellation);
        var retrained = run.Test;
        if (request.RetrainedPath is not null)
        {
            var extra = new Dictionary<string, string>(StringComparer.Ordinal) { [PriorMetadataKey] = SoftSharingPriorState.Save(prior) };
            if (structure is not null) extra[StructureMetadataKey] = GrowlStructure.ToJson(structure);
            ModelCheckpoint.Save(request.RetrainedPath, loaded.Spec, model, run.History.Count, request.Seed, history: run.History, extraMetadata: extra);
        }

        var retrainedWeights = covered.Select(c => (float[])c.Parameter.Value.Data.Clone()).ToList();
        var components = prior.GetComponents();
        var merged = MixtureMerging.Merge(components, request.MergeKlThreshold);
        SoftSharingQuantization quantization;
        List<string> names;
        if (view is null)
        {
            quantization = SoftSharingQuantizer.Quantize(covered.Select(c => c.Parameter.Value.Data).ToList(), merged, request.Assignment);
            for (int t = 0; t < covered.Count; t++) quantization.Weights[t].AsSpan().CopyTo(covered[t].Parameter.Value.Data);
            names = covered.Select(c => c.Name).ToList();
        }
        else
        {
            view.Gather();
            quantization = SoftSharingQuantizer.Quantize(view.Compact.Select(t => t.Data).ToList(), merged, request.Assignment);
            view.Scatter(quantization.Weights); // copies get their cluster's value, removed weights exact zeros
            names = [.. view.Names];
        }
        BiasPrecision.Apply(model, request.BiasBits, new Dictionary<string, TensorStoragePlan>());
        var quantized = test is null ? (EvaluationResult?)null : Evaluator.Evaluate(model, test);

        string knotPath = request.OutPath;
        string ckptPath = CheckpointPathFor(knotPath);
        long fileBytes = WriteKnot(knotPath, loaded.Spec, model, names, quantization.Codebook, request, structure);
        var ckptMeta = Metadata(quantization.Codebook, request, structure);
        ModelCheckpoint.Save(ckptPath, loaded.Spec, model, run.History.Count, request.Seed, history: run.History, extraMetadata: ckptMeta);

        ModelStorage pq, pqh;
        CombinedStructureSummary? growl = null;
        if (view is null)
        {
            (pq, pqh) = PaperAccounting(names, quantization, request.AccountingIndexBits);
        }
        else
        {
            var finalized = GrowlFinalizer.Finalize(model, structure!);
            var stored = finalized.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.Data, StringComparer.Ordinal);
            var original = covered.ToDictionary(c => c.Name, c => (long)c.Parameter.Value.Length, StringComparer.Ordinal);
            (pq, pqh) = CombinedAccounting.Paper(names, names.Select(n => stored[n]).ToList(), names.Select(n => original[n]).ToList(),
                quantization.Codebook, request.AccountingIndexBits);
            growl = CombinedStructureSummary.Create(model, finalized, structure!, view);
        }
        return new SoftSharingResult(loaded.Spec, model, pretrained, retrained, quantized, run.History, components, merged, quantization, names,
            knotPath, ckptPath, fileBytes, 4L * model.ParameterCount(), pq, pqh, clock.Elapsed.TotalSeconds, growl)
        {
            InitialComponents = initialComponents, PretrainedWeights = pretrainedWeights, RetrainedWeights = retrainedWeights,
        };
    }

    /// <summary>Metadata key of the GrOWL structure in checkpoints (the key `knot growl`, `knot retrain` and `knot pack` use).</summary>
    public const string StructureMetadataKey = "structure";

    /// <summary>
    /// The structure a checkpoint carries in its metadata (GrOWL's retrained.ckpt, `knot retrain` output, and the
    /// checkpoints the combined pipeline writes), or null.
    /// </summary>
    public static List<LayerStructure>? StructureOf(string checkpointPath)
    {
        var checkpoint = Storage.Checkpoints.CheckpointFile.Read(checkpointPath);
        return checkpoint.Metadata.TryGetValue(StructureMetadataKey, out var json) ? GrowlStructure.FromJson(json, Path.GetFileName(checkpointPath)) : null;
    }

    /// <summary>
    /// Attaches the GrOWL constraints (tie maps, and a zero mask on the removed producer rows) and returns the view of
    /// the distinct weights the prior covers.
    /// </summary>
    private static DistinctWeights ImposeStructure(Module model, List<(string Name, Parameter Parameter)> covered, IReadOnlyList<LayerStructure> structure)
    {
        GrowlStructure.Attach(model, structure);
        var view = DistinctWeights.Build(model, covered, structure);
        var parameters = covered.ToDictionary(c => c.Name, c => c.Parameter, StringComparer.Ordinal);
        for (int t = 0; t < view.Names.Count; t++)
        {
            var p = parameters[view.Names[t]];
            var mask = new MaskConstraint(view.StoredMask(t));
            p.Constraints.RemoveAll(c => c is MaskConstraint);
            p.Constraints.Add(mask);
            mask.Enforce(p);
        }
        view.Gather();
        return view;
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
    /// <remarks>
    /// With a GrOWL <paramref name="structure"/> the file holds the finalized network (<see cref="GrowlFinalizer"/>:
    /// removed units and channels gone, tied inputs summed by a GroupSum and multiplied by one column), whose weights
    /// are copies of the snapped model's, so they lie on the codebook too; dense_parameters stays the original count.
    /// </remarks>
    public static long WriteKnot(string path, ModelSpec spec, Module model, IReadOnlyList<string> quantizedNames, float[] codebook, SoftSharingRequest? request = null,
        IReadOnlyList<LayerStructure>? structure = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(quantizedNames);
        if (model is not Sequential sequential)
            throw new NotSupportedException($"Soft weight-sharing files describe sequential networks; {spec.Name} is not one.");
        var stored = structure is null ? sequential : GrowlFinalizer.Finalize(sequential, structure);
        var plans = quantizedNames.ToDictionary(n => n, _ => new TensorStoragePlan(codebook, null), StringComparer.Ordinal);
        // Idempotent on biases already rounded with the quantization (finalizing copies biases, never sums them).
        BiasPrecision.Apply(stored, request?.BiasBits ?? 32, plans);
        var metadata = Metadata(codebook, request, structure);
        metadata.Remove(StructureMetadataKey); // the finalized architecture already encodes it (GroupSum labels, smaller layers)
        KnotModelFile.Write(path, stored, spec, metadata, plans, denseParameters: sequential.ParameterCount());
        return new FileInfo(path).Length;
    }

    /// <summary>Rebuilds the model stored by <see cref="WriteKnot"/>.</summary>
    public static (ModelSpec Spec, Module Model) ReadKnot(string path)
    {
        var loaded = KnotModelFile.Read(path);
        return (loaded.Spec ?? throw new InvalidDataException($"{Path.GetFileName(path)}: metadata 'model.spec' is missing; the file does not describe a zoo model."), loaded.Model);
    }

    private static Dictionary<string, string> Metadata(float[] codebook, SoftSharingRequest? request, IReadOnlyList<LayerStructure>? structure = null)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CodebookMetadataKey] = JsonSerializer.Serialize(codebook),
            ["knot.method"] = structure is null ? "soft-weight-sharing" : "growl+soft-weight-sharing",
        };
        if (structure is not null) meta[StructureMetadataKey] = GrowlStructure.ToJson(structure);
        if (request is not null)
        {
            var settings = new Dictionary<string, object>
            {
                ["tau"] = request.Tau, ["components"] = request.Prior.LearnedComponents, ["pi0"] = request.Prior.ZeroMixing,
                ["learn_pi0"] = request.Prior.LearnZeroMixing, ["epochs"] = request.Epochs, ["batch_size"] = request.BatchSize,
                ["lr"] = request.LearningRate, ["lr_schedule"] = request.Schedule, ["assign"] = request.Assignment == ComponentAssignment.MaximumAPosteriori ? "map" : "ml",
                ["merge_kl"] = request.MergeKlThreshold, ["include_biases"] = request.IncludeBiases,
            };
            // Only when used, so files of the paper's setting (no augmentation) stay byte for byte what they were.
            if (request.ShiftPixels > 0) settings["shift"] = request.ShiftPixels;
            meta["sws.settings"] = JsonSerializer.Serialize(settings);
        }
        return meta;
    }
}
