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

    /// <summary>Samples per second of one pass over the data (no loss computed), best of <paramref name="repeats"/>.</summary>
    public static double Throughput(Func<Tensors.Tensor, Tensors.Tensor> forward, LabeledDataset data, int batchSize = 1000, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(data);
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var batch in loader.Epoch(0)) forward(batch.Images);
            best = Math.Max(best, data.Count / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
