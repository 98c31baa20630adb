using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Average pooling over NCHW input with a square window; padding counts as zeros (count_include_pad).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : Pool2d(nameof(AvgPool2d), kernelSize, stride, padding)
{
    public override Tensor Forward(Tensor input) => Op.AvgPool2d(input, KernelSize, Stride, Padding);
}
