using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Kernels;

public static class Softmax
{
    /// <summary>Writes softmax(row) into probs and returns −log softmax(row)[label], computed stably.</summary>
    public static double RowLogSoftmaxLoss(ReadOnlySpan<float> row, Span<float> probs, int label)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, probs);
        TensorPrimitives.Exp(probs, probs);
        double sum = TensorPrimitives.Sum(probs);
        TensorPrimitives.Multiply(probs, (float)(1.0 / sum), probs);
        return Math.Log(sum) - (row[label] - max);
    }
}
