using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// A trainable tensor owned by a module. Compression code attaches <see cref="IParameterConstraint"/>s
/// (masks, ties, codebooks) that the trainer keeps true: gradients are transformed before the optimizer step
/// and the constraint is re-imposed after it.
/// </summary>
public sealed class Parameter
{
    public Parameter(Tensor value)
    {
        Value = value;
        value.RequiresGrad = true;
    }

    public Tensor Value { get; }
    public Shape Shape => Value.Shape;
    public Span<float> Data => Value.Data;

    /// <summary>The accumulated gradient, created on first use.</summary>
    public Tensor Grad
    {
        get
        {
            _ = Value.GradSpan();
            return Value.Grad!;
        }
    }

    public List<IParameterConstraint> Constraints { get; } = [];

    /// <summary>Whether this parameter is frozen (no gradient, not updated).</summary>
    public bool Frozen
    {
        get => !Value.RequiresGrad;
        set => Value.RequiresGrad = !value;
    }

    public void ZeroGrad()
    {
        if (Value.Grad is not null) Array.Clear(Value.Grad.Data);
    }

    public override string ToString() => $"Parameter{Shape}";
}

/// <summary>A structural constraint on a parameter (mask, tied groups, codebook).</summary>
public interface IParameterConstraint
{
    /// <summary>Before the optimizer step: make the gradient respect the structure (e.g. zero masked entries).</summary>
    void TransformGradient(Parameter parameter);

    /// <summary>After the optimizer step: re-impose the structure exactly on the values.</summary>
    void Enforce(Parameter parameter);
}
