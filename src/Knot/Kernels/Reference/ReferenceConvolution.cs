namespace Knot.Kernels.Reference;

/// <summary>Direct convolution by plain loops in double. The ground truth for <see cref="Convolution"/>; never optimise it.</summary>
public static class ReferenceConvolution
{
    /// <inheritdoc cref="Convolution.Forward"/>
    public static void Forward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < outChannels; co++)
                for (int oy = 0; oy < g.OutH; oy++)
                    for (int ox = 0; ox < g.OutW; ox++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[co];
                        for (int c = 0; c < g.Channels; c++)
                            for (int i = 0; i < g.KernelH; i++)
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                                    sum += (double)input[InputIndex(g, n, c, iy, ix)] * weight[WeightIndex(g, co, c, i, j)];
                                }
                        output[OutputIndex(g, outChannels, n, co, oy, ox)] = (float)sum;
                    }
    }

    /// <inheritdoc cref="Convolution.Backward"/>
    public static void Backward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> gradOutput, Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias)
    {
        var dx = new double[g.Batch * g.Channels * g.InputPlane];
        var dw = new double[outChannels * g.PatchSize];
        var db = new double[outChannels];
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < outChannels; co++)
                for (int oy = 0; oy < g.OutH; oy++)
                    for (int ox = 0; ox < g.OutW; ox++)
                    {
                        double dy = gradOutput[OutputIndex(g, outChannels, n, co, oy, ox)];
                        db[co] += dy;
                        for (int c = 0; c < g.Channels; c++)
                            for (int i = 0; i < g.KernelH; i++)
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                                    int xi = InputIndex(g, n, c, iy, ix), wi = WeightIndex(g, co, c, i, j);
                                    dx[xi] += dy * weight[wi];
                                    dw[wi] += dy * input[xi];
                                }
                    }
        if (!gradInput.IsEmpty) for (int k = 0; k < dx.Length; k++) gradInput[k] += (float)dx[k];
        if (!gradWeight.IsEmpty) for (int k = 0; k < dw.Length; k++) gradWeight[k] += (float)dw[k];
        if (!gradBias.IsEmpty) for (int k = 0; k < db.Length; k++) gradBias[k] += (float)db[k];
    }

    private static int InputIndex(in ConvolutionGeometry g, int n, int c, int y, int x) => ((n * g.Channels + c) * g.Height + y) * g.Width + x;

    private static int WeightIndex(in ConvolutionGeometry g, int co, int c, int i, int j) => ((co * g.Channels + c) * g.KernelH + i) * g.KernelW + j;

    private static int OutputIndex(in ConvolutionGeometry g, int outChannels, int n, int co, int y, int x) => ((n * outChannels + co) * g.OutH + y) * g.OutW + x;
}
