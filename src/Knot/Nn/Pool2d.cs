namespace Knot.Nn;

/// <summary>Shared shape of the 2-D pooling layers: square window, stride (default: the window), padding ≤ half the window.</summary>
public abstract class Pool2d : Module
{
    private protected Pool2d(string layer, int kernelSize, int? stride, int padding)
    {
        if (kernelSize <= 0) throw new ArgumentException($"{layer}: kernel size must be > 0, got {kernelSize}.", nameof(kernelSize));
        if (stride is <= 0) throw new ArgumentException($"{layer}: stride must be > 0, got {stride}.", nameof(stride));
        if (padding < 0 || padding > kernelSize / 2)
            throw new ArgumentException($"{layer}: padding must be in [0, {kernelSize / 2}] (at most half the window), got {padding}.", nameof(padding));
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
}
