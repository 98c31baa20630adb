using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Max pooling over NCHW input with a square window; stride defaults to the window (PyTorch's default).</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : Pool2d(nameof(MaxPool2d), kernelSize, stride, padding)
{
    public override Tensor Forward(Tensor input) => Op.MaxPool2d(input, KernelSize, Stride, Padding);
}
