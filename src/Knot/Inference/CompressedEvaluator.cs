using System.Diagnostics;
using Knot.Autograd.Ops;
using Knot.Data;
using Knot.Training;

namespace Knot.Inference;

/// <summary>Test accuracy and loss of a <see cref="CompressedModel"/>, and its throughput.</summary>
public static class CompressedEvaluator
{
    public static EvaluationResult Evaluate(CompressedModel model, LabeledDataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"Dataset '{data.Name}' is empty.", nameof(data));
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        double lossSum = 0;
        long correct = 0;
        foreach (var batch in loader.Epoch(0))
        {
            var logits = model.Forward(batch.Images);
            using (Autograd.GradMode.NoGrad()) lossSum += Op.CrossEntropy(logits, batch.Labels).Item() * (double)batch.Count;
            correct += Metrics.CountCorrect(logits, batch.Labels);
        }
        return new EvaluationResult(lossSum / data.Count, (double)correct / data.Count, data.Count);
    }

    /// <summary>
    /// Samples per second of each forward (one pass over the data, no loss computed), best of <paramref name="repeats"/> passes, after one untimed warm-up pass each.
    /// The passes are interleaved (A, B, C, A, B, C, …) so that a ratio between two of them is measured under the same
    /// load and JIT tier, not one after the other.
    /// </summary>
    public static double[] Throughputs(IReadOnlyList<Func<Tensors.Tensor, Tensors.Tensor>> forwards, LabeledDataset data, int batchSize = 1000, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(forwards);
        ArgumentNullException.ThrowIfNull(data);
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "Repeats must be >= 1.");
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        var best = new double[forwards.Count];
        for (int r = -1; r < repeats; r++)
        {
            for (int f = 0; f < forwards.Count; f++)
            {
                var clock = Stopwatch.StartNew();
                foreach (var batch in loader.Epoch(0)) forwards[f](batch.Images);
                if (r >= 0) best[f] = Math.Max(best[f], data.Count / clock.Elapsed.TotalSeconds);
            }
        }
        return best;
    }
}
