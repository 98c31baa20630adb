using System.Globalization;
using Knot.Compression.DeepCompression;

namespace Knot.Comparison;

/// <summary>
/// The knobs of a comparison. Defaults are the settings measured to work for lenet-300-100 on MNIST (BENCHMARKS.md,
/// docs/compare-lenet-300-100.md): SGD lr 0.05 with a cosine schedule for everything trained from scratch; Deep
/// Compression at fc1/fc2/fc3 sparsity 0.93/0.92/0.75 (≈ 41× at ≈ 1.65% error); soft weight-sharing at τ = 0.01.
/// </summary>
public sealed record ComparisonSettings
{
    /// <summary>Epochs of every method trained from scratch (baseline, weight decay, group Lasso, GrOWL stage 1).</summary>
    public int Epochs { get; init; } = 20;

    public ulong Seed { get; init; } = 1;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 0.05f;
    public string Schedule { get; init; } = "cosine";

    /// <summary>ℓ2 weight decay of the weight-decay row.</summary>
    public float WeightDecay { get; init; } = 5e-4f;

    /// <summary>Group Lasso λ (per-epoch units, prox every step) on every FC layer's input groups.</summary>
    public double GroupLassoLambda { get; init; } = 5;

    /// <summary>GrOWL Λ1 / Λ2 (PLD family, ρ = 0.5, per-epoch units, prox every step) on every FC layer's input groups.</summary>
    public double GrowlLambda1 { get; init; } = 5;

    public double GrowlLambda2 { get; init; } = 0.1;

    /// <summary>GrOWL stage 2: epochs of retraining with zero and tied groups enforced.</summary>
    public int GrowlRetrainEpochs { get; init; } = 5;

    /// <summary>Deep Compression pruning per layer; null: the paper's densities for the LeNets, else quality 1 × std.</summary>
    public IReadOnlyDictionary<string, PruningRule>? DcPruning { get; init; }

    public int DcRetrainEpochs { get; init; } = 15;
    public float DcLearningRate { get; init; } = 0.02f;
    public int DcFineTuneEpochs { get; init; } = 3;

    public int SwsEpochs { get; init; } = 60;
    public float SwsTau { get; init; } = 0.01f;

    public void Validate()
    {
        Require(Epochs >= 0, $"--epochs must be >= 0, got {Epochs}.");
        Require(BatchSize >= 1, $"--batch-size must be >= 1, got {BatchSize}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"--lr must be > 0, got {LearningRate}.");
        Require(WeightDecay > 0 && float.IsFinite(WeightDecay), $"--weight-decay must be > 0, got {WeightDecay}.");
        Require(GroupLassoLambda > 0 && double.IsFinite(GroupLassoLambda), $"--group-lasso-lambda must be > 0, got {GroupLassoLambda}.");
        Require(GrowlLambda1 > 0 && double.IsFinite(GrowlLambda1), $"--growl-lambda1 must be > 0, got {GrowlLambda1}.");
        Require(GrowlLambda2 >= 0 && double.IsFinite(GrowlLambda2), $"--growl-lambda2 must be >= 0, got {GrowlLambda2}.");
        Require(GrowlRetrainEpochs >= 0, $"--retrain-epochs must be >= 0, got {GrowlRetrainEpochs}.");
        Require(DcRetrainEpochs >= 0, $"--dc-retrain-epochs must be >= 0, got {DcRetrainEpochs}.");
        Require(DcFineTuneEpochs >= 0, $"--dc-finetune-epochs must be >= 0, got {DcFineTuneEpochs}.");
        Require(DcLearningRate > 0 && float.IsFinite(DcLearningRate), $"--dc-lr must be > 0, got {DcLearningRate}.");
        Require(SwsEpochs >= 0, $"--sws-epochs must be >= 0, got {SwsEpochs}.");
        Require(SwsTau > 0 && float.IsFinite(SwsTau), $"--sws-tau must be > 0, got {SwsTau}.");
    }

    /// <summary>Deep Compression's pruning for a model: the explicit rules, the measured lenet-300-100 setting, the paper's, or quality 1.</summary>
    public IReadOnlyDictionary<string, PruningRule> DcPruningFor(string modelName) =>
        DcPruning ?? (modelName == "lenet-300-100" ? MeasuredLenet300Pruning : DeepCompressionOptions.PaperSparsity(modelName))
        ?? new Dictionary<string, PruningRule>();

    /// <summary>fc1/fc2/fc3 sparsity 0.93/0.92/0.75: 41.4× real file at 1.63–1.67% error over three seeds (BENCHMARKS.md).</summary>
    public static readonly IReadOnlyDictionary<string, PruningRule> MeasuredLenet300Pruning = new Dictionary<string, PruningRule>(StringComparer.Ordinal)
    {
        ["fc1"] = PruningRule.BySparsity(0.93), ["fc2"] = PruningRule.BySparsity(0.92), ["fc3"] = PruningRule.BySparsity(0.75),
    };

    internal static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    internal static string Number(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
