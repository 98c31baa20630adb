using Knot.Kernels;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// 2-D convolution (cross-correlation, like PyTorch's conv2d) of x (N, Cin, H, W) with weight (Cout, Cin, kh, kw)
    /// and optional bias (Cout); square stride and zero padding.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0) =>
        Conv2d(x, weight, bias, stride, stride, padding, padding);

    /// <summary>2-D convolution with separate vertical and horizontal stride and padding.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int strideH, int strideW, int padH, int padW)
    {
        RequireRank(x, 4, "Conv2d", "input (N, C, H, W)");
        RequireRank(weight, 4, "Conv2d", "weight (Cout, Cin, kh, kw)");
        int outChannels = weight.Shape[0];
        if (weight.Shape[1] != x.Shape[1])
            throw new ArgumentException($"Conv2d: input has {x.Shape[1]} channels but weight {weight.Shape} expects {weight.Shape[1]}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outChannels))
            throw new ArgumentException($"Conv2d: bias must have shape ({outChannels}), got {bias.Shape}.");
        var g = new ConvolutionGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3],
            weight.Shape[2], weight.Shape[3], strideH, strideW, padH, padW);

        var y = Tensor.CreateOutput(new Shape(g.Batch, outChannels, g.OutH, g.OutW));
        Convolution.Forward(g, outChannels, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        // Backward recomputes im2col for the weight gradient. Keeping the matrices from here instead (the kernels
        // support it) would cost 23 MB of arena memory for LeNet-5 at batch 128 and measured no faster: the stride-1
        // im2col is a plain row copy (conv2: ~0.5 ms per batch, one thread) and layers with a short patch (conv1)
        // compute their weight gradient straight from the image without any column matrix.
        return Records(x, weight, bias) ? Attach(y, new Conv2dNode(x, weight, bias, g)) : y;
    }

    private sealed class Conv2dNode(Tensor x, Tensor weight, Tensor? bias, ConvolutionGeometry g)
        : Node(bias is null ? [x, weight] : [x, weight, bias])
    {
        public override void Backward(Tensor output)
        {
            Convolution.Backward(g, weight.Shape[0], x.Data, weight.Data, output.Grad!.Data,
                x.RequiresGrad ? x.GradSpan() : default,
                weight.RequiresGrad ? weight.GradSpan() : default,
                bias is not null && bias.RequiresGrad ? bias.GradSpan() : default);
        }
    }
}
