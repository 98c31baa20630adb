namespace Knot.Kernels;

/// <summary>
/// The sizes of one 2-D convolution or pooling window over an NCHW tensor: input (N, C, H, W), a kh×kw window
/// moved by (strideH, strideW) over the input zero-padded by (padH, padW) on each side. Output is
/// (N, ·, OutH, OutW) with OutH = (H + 2·padH − kh) / strideH + 1 (floor), like PyTorch with ceil_mode off.
/// </summary>
public readonly record struct ConvolutionGeometry
{
    public ConvolutionGeometry(int batch, int channels, int height, int width,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
    {
        if (batch < 1 || channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"Convolution input must have positive sizes, got (N={batch}, C={channels}, H={height}, W={width}).");
        if (kernelH < 1 || kernelW < 1)
            throw new ArgumentException($"Kernel size must be >= 1, got {kernelH}x{kernelW}.");
        if (strideH < 1 || strideW < 1)
            throw new ArgumentException($"Stride must be >= 1, got {strideH}x{strideW}.");
        if (padH < 0 || padW < 0)
            throw new ArgumentException($"Padding must be >= 0, got {padH}x{padW}.");
        if (height + 2 * padH < kernelH || width + 2 * padW < kernelW)
            throw new ArgumentException(
                $"Kernel {kernelH}x{kernelW} is larger than the padded input {height + 2 * padH}x{width + 2 * padW} (input {height}x{width}, padding {padH}x{padW}).");
        Batch = batch; Channels = channels; Height = height; Width = width;
        KernelH = kernelH; KernelW = kernelW; StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        OutH = (height + 2 * padH - kernelH) / strideH + 1;
        OutW = (width + 2 * padW - kernelW) / strideW + 1;
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int KernelH { get; }
    public int KernelW { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int PadH { get; }
    public int PadW { get; }
    public int OutH { get; }
    public int OutW { get; }

    /// <summary>Pixels of one input plane (H·W).</summary>
    public int InputPlane => Height * Width;

    /// <summary>Pixels of one output plane (OutH·OutW).</summary>
    public int OutputPlane => OutH * OutW;

    /// <summary>Rows of the im2col matrix: C·kh·kw (the GEMM's inner dimension).</summary>
    public int PatchSize => Channels * KernelH * KernelW;

    /// <summary>A 1×1 window with stride 1 and no padding: the input plane is already the im2col matrix.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
}
