using Knot.Data;
using Knot.Models;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>
/// Everything a method needs to run on the comparison's model and data, and where its artifacts go:
/// DIR/&lt;method&gt;/model.knot (the file the row measures), method.json (how it was made) and whatever else the
/// method writes (checkpoints, GrOWL's structure).
/// </summary>
public sealed class ComparisonContext
{
    public ComparisonContext(ModelSpec spec, string dataSpec, LabeledDataset train, LabeledDataset test, string outDirectory,
        ComparisonSettings settings, string? pretrainedCheckpoint = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataSpec);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDirectory);
        ArgumentNullException.ThrowIfNull(settings);
        Spec = spec;
        DataSpec = dataSpec;
        Train = train;
        Test = test;
        OutDirectory = outDirectory;
        Settings = settings;
        FromCheckpoint = pretrainedCheckpoint;
    }

    public ModelSpec Spec { get; }

    /// <summary>The --data text as the user gave it (it goes into the reproduction commands).</summary>
    public string DataSpec { get; }

    public LabeledDataset Train { get; }
    public LabeledDataset Test { get; }
    public string OutDirectory { get; }
    public ComparisonSettings Settings { get; }

    /// <summary>A pretrained checkpoint given by the user (--from): the baseline row and the start of Deep Compression and soft weight-sharing.</summary>
    public string? FromCheckpoint { get; }

    /// <summary>Progress of the method running now, its phase prefixed with the method's name.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    public CancellationToken Cancellation { get; set; }

    /// <summary>The pretrained model that methods compressing a trained network start from: --from, or the baseline's checkpoint.</summary>
    public string PretrainedCheckpoint => FromCheckpoint ?? Path.Combine(MethodDirectory(BaselineMethod.MethodName), "model.ckpt");

    public string MethodDirectory(string method) => Path.Combine(OutDirectory, method);

    /// <summary>Common flags of every reproduction command: model, data and seed.</summary>
    internal string ModelDataSeed => $"--model {Spec.Name} --data {DataSpec} --seed {Settings.Seed}";

    internal IProgress<TrainingProgress>? ProgressFor(string phase) =>
        Progress is null ? null : new PhaseProgress(phase, Progress);

    private sealed class PhaseProgress(string phase, IProgress<TrainingProgress> inner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Report(value with { Phase = phase + " " + value.Phase });
    }
}
