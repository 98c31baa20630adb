using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Max pooling over NCHW input with a square window; stride defaults to the window (PyTorch's default).</summary>
public sealed class MaxPool2d : Module
{
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        PoolingArguments.Check("MaxPool2d", kernelSize, stride, padding);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    public override Tensor Forward(Tensor input) => Op.MaxPool2d(input, KernelSize, Stride, Padding);
}

internal static class PoolingArguments
{
    public static void Check(string layer, int kernelSize, int? stride, int padding)
    {
        if (kernelSize <= 0) throw new ArgumentException($"{layer}: kernel size must be > 0, got {kernelSize}.", nameof(kernelSize));
        if (stride is <= 0) throw new ArgumentException($"{layer}: stride must be > 0, got {stride}.", nameof(stride));
        if (padding < 0 || padding > kernelSize / 2)
            throw new ArgumentException($"{layer}: padding must be in [0, {kernelSize / 2}] (at most half the window), got {padding}.", nameof(padding));
    }
}
