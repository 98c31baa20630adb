using Knot.Data;
using Knot.Inference;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>What a .knot file really is: its bytes, the dense float32 bytes it replaces, its test accuracy computed from the file, its non-zeros and distinct weight values.</summary>
public sealed record PackedModelMeasurement(long FileBytes, long DenseBytes, double TestAccuracy, double NonZeroFraction, long? DistinctValues)
{
    public double Ratio => FileBytes == 0 ? double.NaN : (double)DenseBytes / FileBytes;

    /// <summary>
    /// Reads and evaluates a .knot file. Accuracy is compressed inference from the file (what a user of the file gets).
    /// Non-zero share: stored non-zero parameters over the original model's parameters (removed GrOWL units count as zero).
    /// Distinct values: among the weight tensors (rank ≥ 2), including 0; null above <see cref="MaxReportedDistinct"/>, more
    /// than any codebook of the format can index — unquantized float32 weights, where the count would say nothing.
    /// </summary>
    public const int MaxReportedDistinct = 65536;

    public static PackedModelMeasurement Measure(string knotPath, LabeledDataset test)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(knotPath);
        ArgumentNullException.ThrowIfNull(test);
        var file = KnotFile.Read(knotPath);
        string source = Path.GetFileName(knotPath);
        var decoded = KnotModelFile.FromFile(file, source);
        if (decoded.Spec is { } spec) TrainingRun.CheckDataFitsModel(spec, test);
        var accuracy = CompressedEvaluator.Evaluate(new CompressedModel(file, source), test).Accuracy;

        long nonZero = 0;
        foreach (var (_, p) in decoded.Model.NamedParameters())
            foreach (float v in p.Value.Data) if (v != 0f) nonZero++;

        var values = new HashSet<float>();
        foreach (var t in file.Tensors.OfType<KnotFloatTensor>().Where(t => t.Shape.Rank >= 2))
            foreach (float v in t.ToDense()) values.Add(v == 0f ? 0f : v); // -0 and +0 are one value
        long? distinct = values.Count <= MaxReportedDistinct ? values.Count : null;
        return new PackedModelMeasurement(file.FileBytes, decoded.DenseBytes, accuracy, (double)nonZero / decoded.DenseParameters, distinct);
    }
}
