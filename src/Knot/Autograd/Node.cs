using Knot.Tensors;

namespace Knot.Autograd;

/// <summary>
/// One recorded op. Subclasses keep what backward needs (inputs, saved buffers) and implement
/// <see cref="Backward"/>, which must <em>accumulate</em> (+=) into each input's gradient that requires one.
/// </summary>
public abstract class Node
{
    protected Node(Tensor[] inputs) => Inputs = inputs;

    public Tensor[] Inputs { get; }

    /// <summary>Name for error messages and debugging.</summary>
    public virtual string Name => GetType().Name.Replace("Node", "", StringComparison.Ordinal);

    /// <summary>Accumulates input gradients from <paramref name="output"/>'s gradient.</summary>
    public abstract void Backward(Tensor output);
}
