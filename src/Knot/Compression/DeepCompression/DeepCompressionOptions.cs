using System.Globalization;
using Knot.Optim;

namespace Knot.Compression.DeepCompression;

/// <summary>How much of a layer to prune: a quality factor (threshold = quality × std of the layer) or a target sparsity.</summary>
public readonly record struct PruningRule(double? Quality, double? Sparsity)
{
    public static PruningRule ByQuality(double quality) => new(quality, null);
    public static PruningRule BySparsity(double sparsity) => new(null, sparsity);

    public override string ToString() => Quality is double q ? $"quality {q.ToString(CultureInfo.InvariantCulture)}" : $"sparsity {Sparsity!.Value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Settings of the Deep Compression pipeline (Han et al. 2016): prune → retrain → quantize → fine-tune → Huffman.</summary>
public sealed record DeepCompressionOptions
{
    /// <summary>Rule for layers not named in <see cref="LayerPruning"/>.</summary>
    public PruningRule Pruning { get; init; } = PruningRule.ByQuality(1.0);

    /// <summary>Per-layer rules by layer name ("fc1"), overriding <see cref="Pruning"/>.</summary>
    public IReadOnlyDictionary<string, PruningRule> LayerPruning { get; init; } = new Dictionary<string, PruningRule>();

    public int RetrainEpochs { get; init; } = 4;

    /// <summary>Pruning rounds (1 = one-shot); the retraining epochs are split evenly between the rounds.</summary>
    public int PruneSteps { get; init; } = 1;
    public int FineTuneEpochs { get; init; } = 2;

    /// <summary>Optimizer of the retraining stage; fine-tuning uses it with <see cref="FineTuneLearningRateFactor"/>.</summary>
    public OptimizerConfig Optimizer { get; init; } = new("sgd", 0.01f, 0.9f);

    public float FineTuneLearningRateFactor { get; init; } = 0.1f;

    /// <summary>Codebook bits (2^bits centroids) of fully connected and convolution layers (the paper's LeNet: 6 and 8).</summary>
    public int LinearBits { get; init; } = 6;
    public int ConvBits { get; init; } = 8;

    /// <summary>Relative-index bits of the paper's accounting (5 for FC, 8 for conv layers).</summary>
    public int LinearIndexBits { get; init; } = 5;
    public int ConvIndexBits { get; init; } = 8;

    public int BatchSize { get; init; } = 128;

    /// <summary>
    /// Random translation by up to this many pixels (zero-padded crop, no flip) of the training images while retraining and
    /// fine-tuning; 0 (the paper) trains on the images as they are.
    /// </summary>
    public int ShiftPixels { get; init; }
    public ulong Seed { get; init; } = 1;

    /// <summary>Bits of the stored layer biases: 32 (the paper) or 16 (rounded to float16 after fine-tuning).</summary>
    public int BiasBits { get; init; } = 32;

    public void Validate()
    {
        Check(Pruning, "default");
        foreach (var (name, rule) in LayerPruning) Check(rule, name);
        if (RetrainEpochs < 0) throw new ArgumentException($"Retrain epochs must be >= 0, got {RetrainEpochs}.");
        if (PruneSteps < 1 || PruneSteps > 100) throw new ArgumentException($"Prune steps must be in [1, 100], got {PruneSteps}.");
        if (FineTuneEpochs < 0) throw new ArgumentException($"Fine-tune epochs must be >= 0, got {FineTuneEpochs}.");
        if (BatchSize < 1) throw new ArgumentException($"Batch size must be >= 1, got {BatchSize}.");
        Data.CropFlipAugmentation.ValidateShift(ShiftPixels);
        foreach (var (bits, what) in new[] { (LinearBits, "FC bits"), (ConvBits, "conv bits") })
            if (bits < 1 || bits > 16) throw new ArgumentException($"{what} must be in [1, 16], got {bits}.");
        foreach (var (bits, what) in new[] { (LinearIndexBits, "FC index bits"), (ConvIndexBits, "conv index bits") })
            if (bits < 1 || bits > 16) throw new ArgumentException($"{what} must be in [1, 16], got {bits}.");
        if (!(FineTuneLearningRateFactor > 0) || !float.IsFinite(FineTuneLearningRateFactor))
            throw new ArgumentException($"Fine-tune learning-rate factor must be > 0, got {FineTuneLearningRateFactor}.");
        Storage.Models.BiasPrecision.Validate(BiasBits, "Bias bits");
        Optimizer.Validate();
    }

    private static void Check(PruningRule rule, string layer)
    {
        if (rule.Quality is double q && (!double.IsFinite(q) || q < 0)) throw new ArgumentException($"Pruning quality of {layer} must be finite and >= 0, got {q}.");
        if (rule.Sparsity is double s && !(s >= 0 && s < 1)) throw new ArgumentException($"Pruning sparsity of {layer} must be in [0, 1), got {s}.");
        if (rule.Quality is null == rule.Sparsity is null) throw new ArgumentException($"Pruning rule of {layer} needs exactly one of quality or sparsity.");
    }

    /// <summary>
    /// The paper's per-layer densities (Han et al. 2015, Tables 1–2) for the two LeNets, as sparsities by layer name;
    /// null for other models.
    /// </summary>
    public static IReadOnlyDictionary<string, PruningRule>? PaperSparsity(string modelName) => modelName switch
    {
        "lenet-300-100" => new Dictionary<string, PruningRule>
        {
            ["fc1"] = PruningRule.BySparsity(0.92), ["fc2"] = PruningRule.BySparsity(0.91), ["fc3"] = PruningRule.BySparsity(0.74),
        },
        "lenet-5-caffe" => new Dictionary<string, PruningRule>
        {
            ["conv1"] = PruningRule.BySparsity(0.34), ["conv2"] = PruningRule.BySparsity(0.88),
            ["fc1"] = PruningRule.BySparsity(0.92), ["fc2"] = PruningRule.BySparsity(0.81),
        },
        _ => null,
    };
}
