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
    /// Distinct values: among the weight tensors (rank ≥ 2), reported only when every one of them is codebook-coded;
    /// unquantized float32 weights have as many values as weights, and the count would say nothing.
    /// </summary>
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

        var weights = file.Tensors.OfType<KnotFloatTensor>().Where(t => t.Shape.Rank >= 2).ToList();
        long? distinct = null;
        if (weights.Count > 0 && weights.All(t => t.Encoding.UsesCodebook))
        {
            var values = new HashSet<float>();
            foreach (var t in weights) foreach (float v in t.ToDense()) values.Add(v == 0f ? 0f : v); // -0 and +0 are one value
            distinct = values.Count;
        }
        return new PackedModelMeasurement(file.FileBytes, decoded.DenseBytes, accuracy, (double)nonZero / decoded.DenseParameters, distinct);
    }
}
