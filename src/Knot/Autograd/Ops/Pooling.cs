using System.Runtime.InteropServices;
using Knot.Kernels;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>Max pooling of x (N, C, H, W) with a square window; stride defaults to the window size.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        MaxPool2d(x, kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding);

    /// <summary>Max pooling with separate window, stride and padding per axis. Padding may be at most half the window.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
    {
        var g = PoolGeometry(x, kernelH, kernelW, strideH, strideW, padH, padW, "MaxPool2d");
        var y = Tensor.CreateOutput(new Shape(g.Batch, g.Channels, g.OutH, g.OutW));
        if (!Records(x))
        {
            Pooling.MaxForward(g, x.Data, y.Data, default);
            return y;
        }
        // The argmax indices live in a float buffer from the arena, reinterpreted as ints: the arena has the right
        // lifetime (one step) and pooling, and a bit-cast is exact, unlike storing indices as float values.
        var indices = TensorArena.Allocate(y.Length, clear: false);
        Pooling.MaxForward(g, x.Data, y.Data, MemoryMarshal.Cast<float, int>(indices.AsSpan()));
        return Attach(y, new MaxPool2dNode(x, g, indices));
    }

    private sealed class MaxPool2dNode(Tensor x, ConvolutionGeometry g, float[] indices) : Node([x])
    {
        public override void Backward(Tensor output)
        {
            var argmax = MemoryMarshal.Cast<float, int>(indices.AsSpan());
            if (x.Grad is null && !x.IsLeaf)
            {
                // The usual case (x is a conv output whose gradient starts here): write the whole gradient in one pass
                // into an uncleared arena buffer instead of clearing it (GradSpan) and then scattering into it.
                var data = TensorArena.Allocate(x.Length, clear: false);
                Pooling.MaxBackwardOverwrite(g, output.Grad!.Data, argmax, data);
                x.Grad = new Tensor(x.Shape, data);
                return;
            }
            Pooling.MaxBackward(g, output.Grad!.Data, argmax, x.GradSpan());
        }
    }

    /// <summary>Average pooling of x (N, C, H, W) with a square window; padding counts as zeros in the average.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        AvgPool2d(x, kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding);

    /// <summary>Average pooling with separate window, stride and padding per axis. Padding may be at most half the window.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
    {
        var g = PoolGeometry(x, kernelH, kernelW, strideH, strideW, padH, padW, "AvgPool2d");
        var y = Tensor.CreateOutput(new Shape(g.Batch, g.Channels, g.OutH, g.OutW));
        Pooling.AvgForward(g, x.Data, y.Data);
        return Records(x) ? Attach(y, new AvgPool2dNode(x, g)) : y;
    }

    private sealed class AvgPool2dNode(Tensor x, ConvolutionGeometry g) : Node([x])
    {
        public override void Backward(Tensor output) => Pooling.AvgBackward(g, output.Grad!.Data, x.GradSpan());
    }

    /// <summary>Mean over the spatial axes: x (N, C, H, W) → (N, C).</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        RequireRank(x, 4, "GlobalAvgPool2d", "input (N, C, H, W)");
        int planes = x.Shape[0] * x.Shape[1], planeSize = x.Shape[2] * x.Shape[3];
        if (planes == 0 || planeSize == 0) throw new ArgumentException($"GlobalAvgPool2d: input {x.Shape} is empty.", nameof(x));
        var y = Tensor.CreateOutput(new Shape(x.Shape[0], x.Shape[1]));
        Pooling.GlobalAvgForward(planes, planeSize, x.Data, y.Data);
        return Records(x) ? Attach(y, new GlobalAvgPool2dNode(x, planes, planeSize)) : y;
    }

    private sealed class GlobalAvgPool2dNode(Tensor x, int planes, int planeSize) : Node([x])
    {
        public override void Backward(Tensor output) => Pooling.GlobalAvgBackward(planes, planeSize, output.Grad!.Data, x.GradSpan());
    }

    private static ConvolutionGeometry PoolGeometry(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, string op)
    {
        RequireRank(x, 4, op, "input (N, C, H, W)");
        // Like PyTorch: with more padding than half the window, a window could lie entirely in the padding.
        if (padH > kernelH / 2 || padW > kernelW / 2)
            throw new ArgumentException($"{op}: padding {padH}x{padW} must be at most half the window {kernelH}x{kernelW}.");
        try
        {
            return new ConvolutionGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernelH, kernelW, strideH, strideW, padH, padW);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{op}: {e.Message}", e);
        }
    }
}
