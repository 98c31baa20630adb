using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// Mean softmax cross-entropy of logits (B, C) against integer labels, fused and stable (log-sum-exp with
    /// the row max subtracted). The softmax is kept for backward: dlogits = (softmax − onehot) / B.
    /// The labels buffer must stay unchanged until backward has run.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels, int[]? labelsForBackward = null)
    {
        RequireRank(logits, 2, "CrossEntropy", "logits");
        int batch = logits.Shape[0], classes = logits.Shape[1];
        if (labels.Length < batch)
            throw new ArgumentException($"CrossEntropy: {batch} rows of logits but {labels.Length} labels.");
        if (batch == 0) throw new ArgumentException("CrossEntropy: empty batch.");

        var probs = Tensor.CreateOutput(logits.Shape);
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            int label = labels[r];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"CrossEntropy: label {label} at row {r} is outside [0, {classes}).");
            total += Kernels.Softmax.RowLogSoftmaxLoss(logits.Data.AsSpan(r * classes, classes), probs.Data.AsSpan(r * classes, classes), label);
        }
        var loss = Tensor.CreateOutput(new Shape());
        loss.Data[0] = (float)(total / batch);
        if (!Records(logits)) return loss;
        var saved = labelsForBackward ?? labels[..batch].ToArray();
        return Attach(loss, new CrossEntropyNode(logits, probs, saved));
    }

    private sealed class CrossEntropyNode(Tensor logits, Tensor probs, int[] labels) : Node([logits])
    {
        public override void Backward(Tensor output)
        {
            int batch = logits.Shape[0], classes = logits.Shape[1];
            float scale = output.Grad!.Data[0] / batch;
            var dx = logits.GradSpan();
            var p = probs.Data;
            for (int r = 0; r < batch; r++)
            {
                int row = r * classes;
                for (int c = 0; c < classes; c++) dx[row + c] += scale * p[row + c];
                dx[row + labels[r]] -= scale;
            }
        }
    }
}
