using Knot.Compression.Accounting;
using Knot.Compression.Pruning;
using Knot.Compression.Quantization;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Compression.DeepCompression;

/// <summary>One compressed layer's outcome: density, codebook bits and the paper's and the file's storage.</summary>
public sealed record DeepCompressionLayer(string Name, long Weights, long NonZeros, int Bits, int IndexBits,
    LayerStorage PrunedQuantized, LayerStorage PrunedQuantizedHuffman, string Encoding, long FileBytes)
{
    public double Density => Weights == 0 ? 0 : (double)NonZeros / Weights;
}

/// <summary>Test accuracy after each stage, per-layer results, and the packed file's real size next to the paper's accounting.</summary>
public sealed record DeepCompressionResult(
    Sequential Model,
    double? OriginalAccuracy, double? PrunedAccuracy, double? RetrainedAccuracy, double? QuantizedAccuracy, double? FineTunedAccuracy,
    IReadOnlyList<DeepCompressionLayer> Layers, long DenseParameters, long FileBytes, double PaperRatioPQ, double PaperRatioPQH, string? OutPath)
{
    /// <summary>Per-epoch records of retraining with the masks fixed, and of centroid fine-tuning (for reports).</summary>
    public IReadOnlyList<EpochRecord> RetrainHistory { get; init; } = [];
    public IReadOnlyList<EpochRecord> FineTuneHistory { get; init; } = [];

    public long DenseBytes => 4 * DenseParameters;
    public double Ratio => FileBytes == 0 ? double.NaN : (double)DenseBytes / FileBytes;
}

/// <summary>
/// Deep Compression (Han et al. ICLR 2016) on a sequential network: magnitude pruning per layer → retraining with the
/// masks fixed (<see cref="MaskConstraint"/>) → per-layer k-means with linear initialisation over the survivors →
/// centroid fine-tuning (<see cref="CodebookConstraint"/>) → packed into a .knot file, where the writer picks
/// Huffman-coded gaps and codes when they are smallest. Weights of Linear and Conv2d layers are compressed; biases stay
/// float32 unless <see cref="DeepCompressionOptions.BiasBits"/> is 16 (rounded to float16 after fine-tuning), BatchNorm
/// parameters stay float32; the paper-accounting totals count them at the bits they are stored with.
/// </summary>
public static class DeepCompressionPipeline
{
    public static DeepCompressionResult Run(Sequential model, ModelSpec? spec, DeepCompressionOptions options, LabeledDataset train,
        LabeledDataset? test, string? outPath = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        long denseParameters = model.ParameterCount();
        var layers = CompressibleLayers(model);
        CheckLayerNames(layers, options);
        double? Accuracy() => test is null ? null : Evaluator.Evaluate(model, test).Accuracy;
        double? original = Accuracy();

        // 1–2. Prune, then retrain with the masks fixed — in PruneSteps rounds (Han et al. 2015's iterative pruning), each
        // round pruning further (never reviving a weight) and retraining for its share of the epochs.
        List<bool[]> masks = [];
        double? pruned = null;
        var retrainHistory = new List<EpochRecord>();
        for (int round = 1; round <= options.PruneSteps; round++)
        {
            masks = Prune(layers, options, (double)round / options.PruneSteps, round == 1 ? null : masks);
            if (round == options.PruneSteps) pruned = Accuracy();
            int epochs = options.RetrainEpochs * round / options.PruneSteps - options.RetrainEpochs * (round - 1) / options.PruneSteps;
            for (int i = 0; i < layers.Count; i++) layers[i].Weight.Constraints.Add(new MaskConstraint(masks[i]));
            retrainHistory.AddRange(Train(model, options.Optimizer, epochs, options, train, progress, cancellation));
            for (int i = 0; i < layers.Count; i++) layers[i].Weight.Constraints.RemoveAll(c => c is MaskConstraint);
        }
        double? retrained = options.RetrainEpochs > 0 ? Accuracy() : pruned;

        // 3. Quantize each layer's survivors.
        var quantized = new List<QuantizedLayer>();
        for (int i = 0; i < layers.Count; i++)
        {
            int bits = layers[i].IsConv ? options.ConvBits : options.LinearBits;
            var q = LayerQuantizer.Quantize(layers[i].Weight.Data, masks[i], LayerQuantizer.CentroidsForBits(bits));
            q.WriteWeights(layers[i].Weight.Data);
            quantized.Add(q);
        }
        double? quantizedAccuracy = Accuracy();

        // 4. Fine-tune the centroids.
        for (int i = 0; i < layers.Count; i++) layers[i].Weight.Constraints.Add(new CodebookConstraint(quantized[i]));
        var fineTune = options.Optimizer with { LearningRate = options.Optimizer.LearningRate * options.FineTuneLearningRateFactor };
        var fineTuneHistory = Train(model, fineTune, options.FineTuneEpochs, options, train, progress, cancellation);
        for (int i = 0; i < layers.Count; i++) layers[i].Weight.Constraints.RemoveAll(c => c is CodebookConstraint);

        // 5. Pack (biases rounded first when asked, so the final accuracy is the stored model's), and account.
        var plans = new Dictionary<string, TensorStoragePlan>(StringComparer.Ordinal);
        var halfBiases = BiasPrecision.Apply(model, options.BiasBits, plans);
        double? fineTuned = options.FineTuneEpochs > 0 || halfBiases.Count > 0 ? Accuracy() : quantizedAccuracy;
        // Every centroid is stored (codes stay valid); a centroid that reached exactly 0 makes its members read as pruned, the same value.
        for (int i = 0; i < layers.Count; i++) plans[layers[i].Name + ".weight"] = new TensorStoragePlan((float[])quantized[i].Codebook.Clone());
        var writer = KnotModelFile.CreateWriter(model, spec, new Dictionary<string, string> { ["knot.method"] = "deep-compression" }, plans, denseParameters);
        var bytes = writer.ToArray();
        if (outPath is not null) Storage.Common.AtomicFile.WriteAllBytes(outPath, bytes);
        var entries = writer.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        var results = new List<DeepCompressionLayer>();
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, weight, isConv) = layers[i];
            int bits = isConv ? options.ConvBits : options.LinearBits, indexBits = isConv ? options.ConvIndexBits : options.LinearIndexBits;
            var q = quantized[i];
            var pq = DeepCompressionAccounting.FromWeights(name, weight.Data, bits, indexBits, q.Codebook.Length);
            var pqh = DeepCompressionAccounting.PrunedQuantizedHuffman(name, q.Indices, q.Codebook.Length, indexBits);
            var entry = entries[name + ".weight"];
            results.Add(new DeepCompressionLayer(name, weight.Value.Length, MagnitudePruning.CountKept(masks[i]), bits, indexBits, pq, pqh,
                entry.Encoding.ToString(), entry.PayloadBytes));
        }
        long halfBiasCount = model.NamedParameters().Where(p => halfBiases.Contains(p.Name)).Sum(p => (long)p.Parameter.Value.Length);
        long otherBits = 32L * (denseParameters - layers.Sum(l => (long)l.Weight.Value.Length)) - 16L * halfBiasCount;
        double denseBits = 32.0 * denseParameters;
        double ratioPQ = denseBits / (results.Sum(l => l.PrunedQuantized.TotalBits) + otherBits);
        double ratioPQH = denseBits / (results.Sum(l => l.PrunedQuantizedHuffman.TotalBits) + otherBits);
        return new DeepCompressionResult(model, original, pruned, retrained, quantizedAccuracy, fineTuned, results, denseParameters,
            bytes.Length, ratioPQ, ratioPQH, outPath) { RetrainHistory = retrainHistory, FineTuneHistory = fineTuneHistory };
    }

    /// <summary>Prunes only (no quantization): masks by the rules, retrains with them fixed. Returns the retrained accuracy.</summary>
    public static double? PruneAndRetrain(Sequential model, DeepCompressionOptions options, LabeledDataset train, LabeledDataset? test,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var layers = CompressibleLayers(model);
        CheckLayerNames(layers, options);
        var masks = Prune(layers, options, 1.0, previous: null);
        for (int i = 0; i < layers.Count; i++) layers[i].Weight.Constraints.Add(new MaskConstraint(masks[i]));
        _ = Train(model, options.Optimizer, options.RetrainEpochs, options, train, progress, cancellation);
        foreach (var (_, weight, _) in layers) weight.Constraints.RemoveAll(c => c is MaskConstraint);
        return test is null ? null : Evaluator.Evaluate(model, test).Accuracy;
    }

    /// <summary>
    /// Masks each layer by its rule (quality × std or target sparsity) and zeroes the pruned weights. <paramref name="progress"/>
    /// in (0, 1] is how far along the iterative schedule this round is: the kept share goes geometrically from 1 to the
    /// target (kept^progress — equal relative cuts per round), a quality threshold linearly. Weights pruned in an earlier
    /// round (<paramref name="previous"/>) stay pruned.
    /// </summary>
    private static List<bool[]> Prune(List<(string Name, Parameter Weight, bool IsConv)> layers, DeepCompressionOptions options,
        double progress, List<bool[]>? previous)
    {
        var masks = new List<bool[]>();
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, weight, _) = layers[i];
            var rule = options.LayerPruning.TryGetValue(name, out var r) ? r : options.Pruning;
            var keep = new bool[weight.Value.Length];
            if (rule.Quality is double q) MagnitudePruning.MaskByQuality(weight.Data, q * progress, keep);
            else MagnitudePruning.MaskBySparsity(weight.Data, 1 - Math.Pow(1 - rule.Sparsity!.Value, progress), keep);
            if (previous is not null) MagnitudePruning.Intersect(keep, previous[i]);
            MagnitudePruning.ApplyMask(weight.Data, keep);
            masks.Add(keep);
        }
        return masks;
    }

    private static void CheckLayerNames(List<(string Name, Parameter Weight, bool IsConv)> layers, DeepCompressionOptions options)
    {
        foreach (var name in options.LayerPruning.Keys)
            if (!layers.Any(l => l.Name == name))
                throw new ArgumentException($"Pruning rule names layer '{name}'; the model's prunable layers are {string.Join(", ", layers.Select(l => l.Name))}.");
    }

    /// <summary>The weights Deep Compression prunes and quantizes: those of Linear and Conv2d layers, by layer name.</summary>
    public static List<(string Name, Parameter Weight, bool IsConv)> CompressibleLayers(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new List<(string, Parameter, bool)>();
        foreach (var (name, m) in model.Children)
        {
            if (m is Linear l) layers.Add((name, l.Weight, false));
            else if (m is Conv2d c) layers.Add((name, c.Weight, true));
        }
        if (layers.Count == 0) throw new ArgumentException("The model has no Linear or Conv2d layer to compress.");
        return layers;
    }

    private static List<EpochRecord> Train(Sequential model, Optim.OptimizerConfig config, int epochs, DeepCompressionOptions options,
        LabeledDataset train, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        if (epochs == 0) return [];
        var optimizer = config.Create(model.Parameters());
        var trainer = new Trainer(model, optimizer, new TrainerOptions
        {
            Epochs = epochs, BatchSize = options.BatchSize, Seed = options.Seed, Schedule = config.CreateSchedule(epochs),
            Augmentation = CropFlipAugmentation.Shift(options.ShiftPixels),
        })
        { Progress = progress };
        trainer.Fit(train, null, cancellation);
        model.Eval();
        return trainer.History;
    }
}
