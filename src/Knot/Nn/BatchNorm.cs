using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// Batch normalisation per channel (axis 1) with PyTorch's conventions and names: learnable "weight" (γ, init 1)
/// and "bias" (β, init 0), buffers "running_mean" (init 0) and "running_var" (init 1). Training mode normalises
/// with the batch statistics and updates the running ones (momentum 0.1, unbiased variance); eval mode uses the
/// running statistics.
/// </summary>
public abstract class BatchNorm : Module
{
    private protected BatchNorm(int numFeatures, float eps, float momentum, bool affine)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{GetType().Name}: number of features must be > 0, got {numFeatures}.", nameof(numFeatures));
        if (!(eps > 0) || !float.IsFinite(eps)) throw new ArgumentException($"{GetType().Name}: eps must be a positive finite number, got {eps}.", nameof(eps));
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"{GetType().Name}: momentum must be in [0, 1], got {momentum}.", nameof(momentum));
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = AddParameter("weight", Tensor.Full(1f, numFeatures));
            Bias = AddParameter("bias", Tensor.Zeros(numFeatures));
        }
        RunningMean = AddBuffer("running_mean", Tensor.Zeros(numFeatures));
        RunningVar = AddBuffer("running_var", Tensor.Full(1f, numFeatures));
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public float Momentum { get; }

    /// <summary>Replaces <see cref="Momentum"/> while set: <see cref="Training.BatchNormCalibration"/> uses 1/k on the k-th batch
    /// so the running statistics become the plain average over the calibration batches.</summary>
    internal float? CalibrationMomentum { get; set; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    /// <summary>Checks the input rank for this flavour; the op checks the channel count.</summary>
    private protected abstract void CheckInput(Tensor input);

    public override Tensor Forward(Tensor input)
    {
        CheckInput(input);
        if (input.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: expected {NumFeatures} channels on axis 1, got input shape {input.Shape}.", nameof(input));
        return Op.BatchNorm(input, Weight?.Value, Bias?.Value, RunningMean, RunningVar, IsTraining, CalibrationMomentum ?? Momentum, Eps);
    }
}

/// <summary>BatchNorm over (N, C) or (N, C, L) input.</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    private protected override void CheckInput(Tensor input)
    {
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d: expected input (N, C) or (N, C, L), got shape {input.Shape}.", nameof(input));
    }
}

/// <summary>BatchNorm over (N, C, H, W) input.</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    private protected override void CheckInput(Tensor input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"BatchNorm2d: expected input (N, C, H, W), got shape {input.Shape}.", nameof(input));
    }
}
