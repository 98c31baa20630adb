namespace Knot.Training;

/// <summary>Progress of a running training, reported through IProgress (the library never prints).</summary>
public readonly record struct TrainingProgress(
    int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss, double Accuracy, double SamplesPerSecond, TimeSpan Elapsed, string Phase);

/// <summary>Metrics of one epoch. Hooks may add entries to <see cref="Extra"/> (sparsity, clusters, …).</summary>
public sealed class EpochRecord
{
    public int Epoch { get; init; }
    public double TrainLoss { get; init; }
    public double TrainAccuracy { get; init; }
    public double? TestLoss { get; set; }
    public double? TestAccuracy { get; set; }
    public double LearningRate { get; init; }
    public double Seconds { get; init; }
    [System.Text.Json.Serialization.JsonObjectCreationHandling(System.Text.Json.Serialization.JsonObjectCreationHandling.Populate)]
    public Dictionary<string, double> Extra { get; } = new(StringComparer.Ordinal);
}

public readonly record struct EvaluationResult(double Loss, double Accuracy, int Samples);

/// <summary>Training stopped because the loss or the weights stopped being finite numbers.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
