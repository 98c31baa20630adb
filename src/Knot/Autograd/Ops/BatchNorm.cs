using Knot.Kernels;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// Batch normalisation of x (N, C) or (N, C, …) per channel (axis 1), PyTorch conventions. In training mode
    /// the batch mean and biased variance normalise x, and the running statistics are updated in place:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var. In eval mode
    /// the running statistics normalise x. <paramref name="weight"/> (γ) and <paramref name="bias"/> (β) are (C) or null.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm: input must be (N, C) or (N, C, ...), got shape {x.Shape}.", nameof(x));
        int batch = x.Shape[0], channels = x.Shape[1];
        if (batch == 0 || channels == 0 || x.Length == 0) throw new ArgumentException($"BatchNorm: input {x.Shape} is empty.", nameof(x));
        int spatial = x.Length / (batch * channels);
        RequireChannelVector(weight, channels, "weight");
        RequireChannelVector(bias, channels, "bias");
        RequireChannelVector(runningMean, channels, "running_mean");
        RequireChannelVector(runningVar, channels, "running_var");
        if (!(eps > 0) || !float.IsFinite(eps)) throw new ArgumentException($"BatchNorm: eps must be a positive finite number, got {eps}.", nameof(eps));
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"BatchNorm: momentum must be in [0, 1], got {momentum}.", nameof(momentum));

        // Per-channel mean and 1/sqrt(var + eps) that backward needs; small, so from the arena with the outputs.
        var mean = TensorArena.Allocate(channels, clear: false);
        var invStd = TensorArena.Allocate(channels, clear: false);
        if (training)
        {
            long count = (long)batch * spatial;
            if (count < 2)
                throw new ArgumentException($"BatchNorm: training needs more than one value per channel, got input shape {x.Shape}.", nameof(x));
            BatchNormKernels.Statistics(batch, channels, spatial, x.Data, mean, invStd);
            double unbias = (double)count / (count - 1);
            for (int c = 0; c < channels; c++)
            {
                float variance = invStd[c];
                runningMean.Data[c] = (1 - momentum) * runningMean.Data[c] + momentum * mean[c];
                runningVar.Data[c] = (float)((1 - momentum) * runningVar.Data[c] + momentum * variance * unbias);
                invStd[c] = (float)(1.0 / Math.Sqrt(variance + (double)eps));
            }
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                mean[c] = runningMean.Data[c];
                invStd[c] = (float)(1.0 / Math.Sqrt(runningVar.Data[c] + (double)eps));
            }
        }

        var y = Tensor.CreateOutput(x.Shape);
        BatchNormKernels.Normalize(batch, channels, spatial, x.Data, mean, invStd,
            weight is null ? default : weight.Data, bias is null ? default : bias.Data, y.Data);
        return Records(x, weight ?? x, bias) ? Attach(y, new BatchNormNode(x, weight, bias, mean, invStd, training, spatial)) : y;
    }

    private static void RequireChannelVector(Tensor? t, int channels, string what)
    {
        if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
            throw new ArgumentException($"BatchNorm: {what} must have shape ({channels}), got {t.Shape}.");
    }

    private sealed class BatchNormNode(Tensor x, Tensor? weight, Tensor? bias, float[] mean, float[] invStd, bool training, int spatial)
        : Node(Collect(x, weight, bias))
    {
        private static Tensor[] Collect(Tensor x, Tensor? weight, Tensor? bias)
        {
            var inputs = new List<Tensor>(3) { x };
            if (weight is not null) inputs.Add(weight);
            if (bias is not null) inputs.Add(bias);
            return [.. inputs];
        }

        public override void Backward(Tensor output)
        {
            BatchNormKernels.Backward(x.Shape[0], x.Shape[1], spatial, x.Data, output.Grad!.Data, mean, invStd,
                weight is null ? default : weight.Data, training,
                x.RequiresGrad ? x.GradSpan() : default,
                weight is not null && weight.RequiresGrad ? weight.GradSpan() : default,
                bias is not null && bias.RequiresGrad ? bias.GradSpan() : default);
        }
    }
}
