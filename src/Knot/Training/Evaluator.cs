using Knot.Autograd;
using Knot.Autograd.Ops;
using Knot.Data;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Training;

public static class Evaluator
{
    /// <summary>Mean cross-entropy and accuracy of the model (eval mode, no gradients) over a dataset.</summary>
    public static EvaluationResult Evaluate(Module model, LabeledDataset data, int batchSize = 1000, TensorArena? arena = null)
    {
        if (data.Count == 0) throw new ArgumentException($"Dataset '{data.Name}' is empty.", nameof(data));
        bool wasTraining = model.IsTraining;
        model.Eval();
        arena ??= new TensorArena();
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        double lossSum = 0;
        long correct = 0;
        try
        {
            using var noGrad = GradMode.NoGrad();
            using var scope = arena.Activate();
            foreach (var batch in loader.Epoch(0))
            {
                arena.Reset();
                var logits = model.Forward(batch.Images);
                lossSum += Op.CrossEntropy(logits, batch.Labels).Item() * (double)batch.Count;
                correct += Metrics.CountCorrect(logits, batch.Labels);
            }
            arena.Reset();
        }
        finally
        {
            model.Train(wasTraining);
        }
        return new EvaluationResult(lossSum / data.Count, (double)correct / data.Count, data.Count);
    }
}

public static class Metrics
{
    /// <summary>Rows whose arg-max equals the label (first maximum wins on ties, like torch.argmax).</summary>
    public static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels)
    {
        int rows = logits.Shape[0], classes = logits.Shape[1], correct = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Data.AsSpan(r * classes, classes);
            if (ArgMax(row) == labels[r]) correct++;
        }
        return correct;
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
        return best;
    }
}
