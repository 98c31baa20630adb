using Knot.Compression.Pruning;
using Knot.Nn;

namespace Knot.Compression.DeepCompression;

/// <summary>
/// Keeps pruned weights exactly zero while the rest retrain (Deep Compression §3.1): their gradients are zeroed before
/// the optimizer step (so momentum never builds up for them) and their values are zeroed again after it (weight decay
/// or a stale momentum buffer could otherwise move them).
/// </summary>
public sealed class MaskConstraint : IParameterConstraint
{
    private readonly bool[] _keep;

    public MaskConstraint(bool[] keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        _keep = keep;
    }

    /// <summary>true = the weight survives.</summary>
    public ReadOnlySpan<bool> Keep => _keep;

    public int Kept => MagnitudePruning.CountKept(_keep);

    public void TransformGradient(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        MagnitudePruning.ApplyMask(parameter.Grad.Data, _keep);
    }

    public void Enforce(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        MagnitudePruning.ApplyMask(parameter.Data, _keep);
    }
}
