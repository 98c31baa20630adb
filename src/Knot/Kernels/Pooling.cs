using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Kernels;

/// <summary>
/// Max, average and global average pooling over NCHW tensors. Each of the N·C planes is pooled independently
/// with the window of a <see cref="ConvolutionGeometry"/> (its Channels is C). Padding counts as −∞ for max
/// pooling and as zeros that are included in the divisor for average pooling (PyTorch's defaults).
/// </summary>
public static partial class Pooling
{
    /// <summary>Average pooling; the divisor is always kh·kw (padding included, PyTorch's count_include_pad=True).</summary>
    public static void AvgForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckSpans(g, input.Length, output.Length, "AvgPool");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int p = 0; p < planes; p++)
        {
            var x = input.Slice(p * inPlane, inPlane);
            var y = output.Slice(p * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int y0 = Math.Max(0, oy * g.StrideH - g.PadH), y1 = Math.Min(g.Height, oy * g.StrideH - g.PadH + g.KernelH);
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int x0 = Math.Max(0, ox * g.StrideW - g.PadW), x1 = Math.Min(g.Width, ox * g.StrideW - g.PadW + g.KernelW);
                    float sum = 0f;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sum += x[iy * g.Width + ix];
                    y[oy * g.OutW + ox] = sum * scale;
                }
            }
        }
    }

    /// <summary>gradInput += each output gradient / (kh·kw) spread over its window.</summary>
    public static void AvgBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        CheckSpans(g, gradInput.Length, gradOutput.Length, "AvgPool backward");
        int planes = g.Batch * g.Channels, inPlane = g.InputPlane, outPlane = g.OutputPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int p = 0; p < planes; p++)
        {
            var dx = gradInput.Slice(p * inPlane, inPlane);
            var dy = gradOutput.Slice(p * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int y0 = Math.Max(0, oy * g.StrideH - g.PadH), y1 = Math.Min(g.Height, oy * g.StrideH - g.PadH + g.KernelH);
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int x0 = Math.Max(0, ox * g.StrideW - g.PadW), x1 = Math.Min(g.Width, ox * g.StrideW - g.PadW + g.KernelW);
                    float share = dy[oy * g.OutW + ox] * scale;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) dx[iy * g.Width + ix] += share;
                }
            }
        }
    }

    /// <summary>output[p] = mean of plane p, for <paramref name="planes"/> planes of <paramref name="planeSize"/> values.</summary>
    public static void GlobalAvgForward(int planes, int planeSize, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckGlobal(planes, planeSize, input.Length, output.Length);
        float scale = 1f / planeSize;
        for (int p = 0; p < planes; p++) output[p] = TensorPrimitives.Sum(input.Slice(p * planeSize, planeSize)) * scale;
    }

    /// <summary>gradInput[plane p] += gradOutput[p] / planeSize.</summary>
    public static void GlobalAvgBackward(int planes, int planeSize, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        CheckGlobal(planes, planeSize, gradInput.Length, gradOutput.Length);
        float scale = 1f / planeSize;
        for (int p = 0; p < planes; p++)
        {
            var dx = gradInput.Slice(p * planeSize, planeSize);
            TensorPrimitives.Add(dx, gradOutput[p] * scale, dx);
        }
    }

    private static void CheckSpans(in ConvolutionGeometry g, int inputLength, int outputLength, string op)
    {
        int inSize = g.Batch * g.Channels * g.InputPlane, outSize = g.Batch * g.Channels * g.OutputPlane;
        if (inputLength != inSize)
            throw new ArgumentException($"{op}: input needs {inSize} elements (N={g.Batch}, C={g.Channels}, {g.Height}x{g.Width}), got {inputLength}.");
        if (outputLength != outSize)
            throw new ArgumentException($"{op}: output needs {outSize} elements (N={g.Batch}, C={g.Channels}, {g.OutH}x{g.OutW}), got {outputLength}.");
    }

    private static void CheckGlobal(int planes, int planeSize, int inputLength, int outputLength)
    {
        if (planes < 1 || planeSize < 1) throw new ArgumentException($"GlobalAvgPool: planes and plane size must be >= 1, got {planes} and {planeSize}.");
        if (inputLength != planes * planeSize) throw new ArgumentException($"GlobalAvgPool: input needs {planes * planeSize} elements, got {inputLength}.");
        if (outputLength != planes) throw new ArgumentException($"GlobalAvgPool: output needs {planes} elements, got {outputLength}.");
    }
}
