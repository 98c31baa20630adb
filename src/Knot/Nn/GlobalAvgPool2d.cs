using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Mean over H and W: (N, C, H, W) → (N, C). PyTorch's AdaptiveAvgPool2d(1) followed by flatten.</summary>
public sealed class GlobalAvgPool2d : Module
{
    public override Tensor Forward(Tensor input) => Op.GlobalAvgPool2d(input);
}
