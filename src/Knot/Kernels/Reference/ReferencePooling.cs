namespace Knot.Kernels.Reference;

/// <summary>Pooling by plain loops over padded coordinates. The ground truth for <see cref="Pooling"/>; never optimise it.</summary>
public static class ReferencePooling
{
    /// <summary>Max pooling; padded positions are −∞ and never win; ties go to the first position in row-major order.</summary>
    public static void MaxForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oy = 0; oy < g.OutH; oy++)
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    float best = float.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                            if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                            float v = input[p * g.InputPlane + iy * g.Width + ix];
                            if (at < 0 || v > best) { best = v; at = iy * g.Width + ix; }
                        }
                    int o = p * g.OutputPlane + oy * g.OutW + ox;
                    output[o] = best;
                    argmax[o] = at;
                }
    }

    /// <summary>Max pooling's backward: gradInput[plane p, argmax[o]] += gradOutput[o] for every output o of plane p.</summary>
    public static void MaxBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, Span<float> gradInput)
    {
        for (int o = 0; o < gradOutput.Length; o++)
            if (argmax[o] >= 0) gradInput[o / g.OutputPlane * g.InputPlane + argmax[o]] += gradOutput[o];
    }

    /// <summary>Average pooling with divisor kh·kw (padding included).</summary>
    public static void AvgForward(in ConvolutionGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oy = 0; oy < g.OutH; oy++)
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    double sum = 0;
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                            if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                            sum += input[p * g.InputPlane + iy * g.Width + ix];
                        }
                    output[p * g.OutputPlane + oy * g.OutW + ox] = (float)(sum / (g.KernelH * g.KernelW));
                }
    }

    /// <summary>The transpose of <see cref="AvgForward"/>: gradInput += Aᵀ·gradOutput.</summary>
    public static void AvgBackward(in ConvolutionGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        for (int p = 0; p < g.Batch * g.Channels; p++)
            for (int oy = 0; oy < g.OutH; oy++)
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    float dy = gradOutput[p * g.OutputPlane + oy * g.OutW + ox];
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                            if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                            gradInput[p * g.InputPlane + iy * g.Width + ix] += dy / (g.KernelH * g.KernelW);
                        }
                }
    }
}
