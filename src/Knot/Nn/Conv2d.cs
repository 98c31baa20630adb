using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// 2-D convolution over NCHW input with weight (out, in, k, k) and optional bias (out), like PyTorch's nn.Conv2d
/// (square kernel, stride and zero padding; no groups or dilation). Initialised like PyTorch:
/// U(±1/√fan_in) for weight and bias with fan_in = in·k·k.
/// </summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, bool bias, KnotRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inChannels <= 0 || outChannels <= 0)
            throw new ArgumentException($"Conv2d: channels must be > 0, got in={inChannels}, out={outChannels}.");
        if (kernelSize <= 0) throw new ArgumentException($"Conv2d: kernel size must be > 0, got {kernelSize}.", nameof(kernelSize));
        if (stride <= 0) throw new ArgumentException($"Conv2d: stride must be > 0, got {stride}.", nameof(stride));
        if (padding < 0) throw new ArgumentException($"Conv2d: padding must be >= 0, got {padding}.", nameof(padding));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        int fanIn = inChannels * kernelSize * kernelSize;
        Weight = AddParameter("weight", Tensor.Zeros(outChannels, inChannels, kernelSize, kernelSize));
        Init.PyTorchDefault(Weight.Data, fanIn, rng);
        if (bias)
        {
            Bias = AddParameter("bias", Tensor.Zeros(outChannels));
            Init.PyTorchDefault(Bias.Data, fanIn, rng);
        }
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, KnotRandom rng, int stride = 1, int padding = 0, bool bias = true)
        : this(inChannels, outChannels, kernelSize, stride, padding, bias, rng)
    {
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Output spatial size for an input of <paramref name="size"/> pixels along one axis.</summary>
    public int OutputSize(int size) => (size + 2 * Padding - KernelSize) / Stride + 1;

    public override Tensor Forward(Tensor input) => Op.Conv2d(input, Weight.Value, Bias?.Value, Stride, Padding);
}
