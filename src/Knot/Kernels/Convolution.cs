using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, like PyTorch) over NCHW float tensors with a (Cout, Cin, kh, kw) weight,
/// by im2col + <see cref="Gemm"/>. The batch is processed in chunks: the im2col matrices of a chunk's images sit
/// side by side so that each chunk is one wide GEMM (Cout × chunk·OutH·OutW × Cin·kh·kw) instead of many thin
/// ones; small feature maps (LeNet's 8×8 second layer) gain the most. Scratch buffers are per thread and only
/// grow, so steady-state training allocates nothing here. Work is split the same way on every call, so the
/// results are bit-for-bit repeatable.
/// </summary>
public static partial class Convolution
{
    private static int s_targetChunkColumns = 256;

    [ThreadStatic] private static float[]? t_columns;
    [ThreadStatic] private static float[]? t_chunkOutput;
    [ThreadStatic] private static float[]? t_partials;

    // Below this many multiply-adds per call, waking the worker threads costs more than it saves.
    private const long ParallelMinMultiplyAdds = 2_000_000;

    /// <summary>Threads for a call: one per core when the batch and the work are large enough, else 1.</summary>
    private static int AutomaticParts(in ConvolutionGeometry g, int outChannels)
    {
        long work = (long)g.Batch * outChannels * g.PatchSize * g.OutputPlane;
        return work < ParallelMinMultiplyAdds ? 1 : Math.Min(Parallelism.ThreadCount, g.Batch);
    }

    private static ConvolutionGeometry WithBatch(in ConvolutionGeometry g, int batch) =>
        new(batch, g.Channels, g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW);

    /// <summary>One contiguous image range of a parallel forward pass (pointers stay pinned by the caller during the loop).</summary>
    private unsafe struct ForwardPart : IParallelBody
    {
        public ConvolutionGeometry G;
        public int OutChannels, Parts, ChunkImages, BiasLength;
        public float* Input, Weight, Bias, Output;

        public readonly void Invoke(int part)
        {
            var (start, end) = Parallelism.Partition(G.Batch, Parts, part);
            if (start == end) return;
            int inSize = G.Channels * G.InputPlane, outSize = OutChannels * G.OutputPlane, n = end - start;
            ForwardSerial(WithBatch(G, n), OutChannels, new ReadOnlySpan<float>(Input + (long)start * inSize, n * inSize),
                new ReadOnlySpan<float>(Weight, OutChannels * G.PatchSize), new ReadOnlySpan<float>(Bias, BiasLength),
                new Span<float>(Output + (long)start * outSize, n * outSize), ChunkImages, default);
        }
    }

    /// <summary>One contiguous image range of a parallel backward pass, with its own weight/bias gradient buffer.</summary>
    private unsafe struct BackwardPart : IParallelBody
    {
        public ConvolutionGeometry G;
        public int OutChannels, Parts, ChunkImages, WeightSize, BiasSize;
        public bool HasGradInput;
        public float* Input, Weight, GradOutput, GradInput, Partials;

        public readonly void Invoke(int part)
        {
            var (start, end) = Parallelism.Partition(G.Batch, Parts, part);
            if (start == end) return;
            int inSize = G.Channels * G.InputPlane, outSize = OutChannels * G.OutputPlane, n = end - start;
            float* block = Partials + (long)part * (WeightSize + BiasSize);
            BackwardSerial(WithBatch(G, n), OutChannels, new ReadOnlySpan<float>(Input + (long)start * inSize, n * inSize),
                new ReadOnlySpan<float>(Weight, OutChannels * G.PatchSize), new ReadOnlySpan<float>(GradOutput + (long)start * outSize, n * outSize),
                HasGradInput ? new Span<float>(GradInput + (long)start * inSize, n * inSize) : default,
                new Span<float>(block, WeightSize), new Span<float>(block + WeightSize, BiasSize), ChunkImages, default);
        }
    }

    /// <summary>
    /// How many output pixels (GEMM columns) one chunk aims for; the chunk holds max(1, this / (OutH·OutW))
    /// images. Larger gives the GEMM wider matrices but a bigger im2col buffer (PatchSize × this floats) that falls
    /// out of L2. Measured on LeNet-5 (batch 128, one thread): 4 images of 8×8 per chunk were ~10% faster for the
    /// 20→50 layer than 1 image, 16 or more were ~70% slower; the 24×24 first layer is fastest one image at a time.
    /// </summary>
    public static int TargetChunkColumns
    {
        get => s_targetChunkColumns;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Chunk columns must be >= 1.");
            s_targetChunkColumns = value;
        }
    }

    /// <summary>Images per chunk for this geometry (automatic choice).</summary>
    public static int ChunkImages(in ConvolutionGeometry g) =>
        Math.Clamp(s_targetChunkColumns / g.OutputPlane, 1, g.Batch);

    private static int ResolveChunk(in ConvolutionGeometry g, int chunkImages)
    {
        if (chunkImages < 0) throw new ArgumentOutOfRangeException(nameof(chunkImages), chunkImages, "Images per chunk must be >= 0 (0 = automatic).");
        return chunkImages == 0 ? ChunkImages(g) : Math.Min(chunkImages, g.Batch);
    }

    /// <summary>
    /// output (N, Cout, OutH, OutW) = conv(input (N, C, H, W), weight (Cout, C, kh, kw)) + bias (Cout, or empty).
    /// <paramref name="chunkImages"/> overrides the images per GEMM (0 = automatic); tests use it to cover every path.
    /// When <paramref name="keepColumns"/> is given (<see cref="KeptColumnsLength"/> floats), the im2col matrices are
    /// written there so that <see cref="Backward"/> can reuse them instead of recomputing; pass the same chunking to both.
    /// </summary>
    public static void Forward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, int chunkImages = 0, Span<float> keepColumns = default)
    {
        int parts = keepColumns.IsEmpty ? AutomaticParts(g, outChannels) : 1;
        Forward(g, outChannels, input, weight, bias, output, chunkImages, keepColumns, parts);
    }

    /// <summary>
    /// Forward with the batch split into <paramref name="parts"/> contiguous image ranges run in parallel; each range
    /// runs the serial code, so every output element is computed exactly as on one thread (GEMM keeps the K order).
    /// </summary>
    internal static unsafe void Forward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, int chunkImages, Span<float> keepColumns, int parts)
    {
        parts = Math.Clamp(parts, 1, g.Batch);
        if (parts == 1 || !keepColumns.IsEmpty)
        {
            ForwardSerial(g, outChannels, input, weight, bias, output, chunkImages, keepColumns);
            return;
        }
        CheckSpans(g, outChannels, input.Length, weight.Length, bias.Length, output.Length, "output");
        ResolveChunk(g, chunkImages);
        fixed (float* x = input, w = weight, b = bias, y = output)
        {
            Parallelism.For(parts, new ForwardPart
            {
                G = g, OutChannels = outChannels, Parts = parts, ChunkImages = chunkImages,
                Input = x, Weight = w, Bias = b, BiasLength = bias.Length, Output = y,
            });
        }
    }

    private static void ForwardSerial(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, int chunkImages, Span<float> keepColumns)
    {
        if (!keepColumns.IsEmpty && keepColumns.Length != KeptColumnsLength(g))
            throw new ArgumentException($"Convolution: kept columns need {KeptColumnsLength(g)} elements, got {keepColumns.Length}.", nameof(keepColumns));
        CheckSpans(g, outChannels, input.Length, weight.Length, bias.Length, output.Length, "output");
        int plane = g.OutputPlane, patch = g.PatchSize, inSize = g.Channels * g.InputPlane, outSize = outChannels * plane;
        int chunk = ResolveChunk(g, chunkImages);
        if (keepColumns.IsEmpty && UsesDirectForward(g))
        {
            DirectForward(g, outChannels, input, weight, bias, output);
            return;
        }
        weight = weight[..(outChannels * patch)];
        for (int n0 = 0; n0 < g.Batch; n0 += chunk)
        {
            int count = Math.Min(chunk, g.Batch - n0), cols = count * plane;
            if (count == 1)
            {
                // One image: the GEMM writes straight into the output, seeded with the bias (beta = 1).
                var columns = g.IsPointwise ? input.Slice(n0 * inSize, inSize) : PackChunk(g, input, n0, 1, keepColumns);
                var y = output.Slice(n0 * outSize, outSize);
                float beta = 0f;
                if (!bias.IsEmpty)
                {
                    for (int co = 0; co < outChannels; co++) y.Slice(co * plane, plane).Fill(bias[co]);
                    beta = 1f;
                }
                Gemm.Multiply(false, false, outChannels, plane, patch, 1f, weight, patch, columns, plane, beta, y, plane);
                continue;
            }

            var packed = PackChunk(g, input, n0, count, keepColumns);
            var result = Scratch(ref t_chunkOutput, outChannels * cols);
            Gemm.Multiply(false, false, outChannels, cols, patch, 1f, weight, patch, packed, cols, 0f, result, cols);
            // (Cout, count·plane) → (count, Cout, plane), adding the bias on the way.
            for (int i = 0; i < count; i++)
            {
                var y = output.Slice((n0 + i) * outSize, outSize);
                for (int co = 0; co < outChannels; co++)
                {
                    var src = result.Slice(co * cols + i * plane, plane);
                    var dst = y.Slice(co * plane, plane);
                    if (bias.IsEmpty) src.CopyTo(dst);
                    else TensorPrimitives.Add(src, bias[co], dst);
                }
            }
        }
    }

    /// <summary>
    /// Accumulates (+=) the gradients of a convolution from gradOutput (N, Cout, OutH, OutW): gradInput (N, C, H, W),
    /// gradWeight (Cout, C, kh, kw) and gradBias (Cout). Pass an empty span for any gradient that is not wanted.
    /// <paramref name="keptColumns"/> are the im2col matrices a <see cref="Forward"/> with the same chunking kept.
    /// </summary>
    public static void Backward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> gradOutput, Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias, int chunkImages = 0,
        ReadOnlySpan<float> keptColumns = default)
    {
        int parts = keptColumns.IsEmpty ? AutomaticParts(g, outChannels) : 1;
        Backward(g, outChannels, input, weight, gradOutput, gradInput, gradWeight, gradBias, chunkImages, keptColumns, parts);
    }

    /// <summary>
    /// Backward over <paramref name="parts"/> contiguous image ranges in parallel. gradInput ranges are disjoint; the
    /// weight and bias gradients of each part go to their own zeroed buffer and are added in part order, so the
    /// result is the same every time for a given part count (the dW summation order depends on the split).
    /// </summary>
    internal static unsafe void Backward(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> gradOutput, Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias, int chunkImages,
        ReadOnlySpan<float> keptColumns, int parts)
    {
        parts = Math.Clamp(parts, 1, g.Batch);
        if (parts == 1 || !keptColumns.IsEmpty)
        {
            BackwardSerial(g, outChannels, input, weight, gradOutput, gradInput, gradWeight, gradBias, chunkImages, keptColumns);
            return;
        }
        CheckSpans(g, outChannels, input.Length, weight.Length, gradBias.Length, gradOutput.Length, "gradOutput");
        int patch = g.PatchSize, inSize = g.Channels * g.InputPlane;
        if (!gradInput.IsEmpty && gradInput.Length != g.Batch * inSize)
            throw new ArgumentException($"Convolution backward: gradInput needs {g.Batch * inSize} elements, got {gradInput.Length}.");
        if (!gradWeight.IsEmpty && gradWeight.Length != outChannels * patch)
            throw new ArgumentException($"Convolution backward: gradWeight needs {outChannels * patch} elements, got {gradWeight.Length}.");
        ResolveChunk(g, chunkImages);
        int wSize = gradWeight.IsEmpty ? 0 : outChannels * patch, bSize = gradBias.IsEmpty ? 0 : outChannels;
        var partials = Scratch(ref t_partials, parts * (wSize + bSize));
        partials.Clear();
        fixed (float* x = input, w = weight, dy = gradOutput, dx = gradInput, acc = partials)
        {
            Parallelism.For(parts, new BackwardPart
            {
                G = g, OutChannels = outChannels, Parts = parts, ChunkImages = chunkImages,
                Input = x, Weight = w, GradOutput = dy, GradInput = dx, HasGradInput = !gradInput.IsEmpty,
                Partials = acc, WeightSize = wSize, BiasSize = bSize,
            });
        }
        for (int part = 0; part < parts; part++)
        {
            var block = partials.Slice(part * (wSize + bSize), wSize + bSize);
            if (wSize > 0) TensorPrimitives.Add(gradWeight, block[..wSize], gradWeight);
            if (bSize > 0) TensorPrimitives.Add(gradBias, block[wSize..], gradBias);
        }
    }

    private static void BackwardSerial(in ConvolutionGeometry g, int outChannels, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> gradOutput, Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias, int chunkImages,
        ReadOnlySpan<float> keptColumns)
    {
        if (!keptColumns.IsEmpty && keptColumns.Length != KeptColumnsLength(g))
            throw new ArgumentException($"Convolution backward: kept columns need {KeptColumnsLength(g)} elements, got {keptColumns.Length}.", nameof(keptColumns));
        CheckSpans(g, outChannels, input.Length, weight.Length, gradBias.Length, gradOutput.Length, "gradOutput");
        int plane = g.OutputPlane, patch = g.PatchSize, inSize = g.Channels * g.InputPlane, outSize = outChannels * plane;
        if (!gradInput.IsEmpty && gradInput.Length != g.Batch * inSize)
            throw new ArgumentException($"Convolution backward: gradInput needs {g.Batch * inSize} elements, got {gradInput.Length}.");
        if (!gradWeight.IsEmpty && gradWeight.Length != outChannels * patch)
            throw new ArgumentException($"Convolution backward: gradWeight needs {outChannels * patch} elements, got {gradWeight.Length}.");
        weight = weight[..(outChannels * patch)];

        if (UsesDirectWeightGradient(g, outChannels) && (!gradWeight.IsEmpty || !gradBias.IsEmpty))
        {
            DirectWeightGradient(g, outChannels, input, gradOutput, gradWeight, gradBias);
            gradWeight = default;
            gradBias = default;
        }
        if (!gradBias.IsEmpty)
        {
            for (int n = 0; n < g.Batch; n++)
                for (int co = 0; co < outChannels; co++)
                    gradBias[co] += TensorPrimitives.Sum(gradOutput.Slice(n * outSize + co * plane, plane));
        }
        if (gradInput.IsEmpty && gradWeight.IsEmpty) return;

        int chunk = ResolveChunk(g, chunkImages);
        for (int n0 = 0; n0 < g.Batch; n0 += chunk)
        {
            int count = Math.Min(chunk, g.Batch - n0), cols = count * plane;
            ReadOnlySpan<float> dy;
            if (count == 1)
            {
                dy = gradOutput.Slice(n0 * outSize, outSize);
            }
            else
            {
                // (count, Cout, plane) → (Cout, count·plane), the layout of the chunk's GEMM.
                var gathered = Scratch(ref t_chunkOutput, outChannels * cols);
                for (int i = 0; i < count; i++)
                    for (int co = 0; co < outChannels; co++)
                        gradOutput.Slice((n0 + i) * outSize + co * plane, plane).CopyTo(gathered.Slice(co * cols + i * plane, plane));
                dy = gathered;
            }

            if (!gradWeight.IsEmpty)
            {
                // dW (Cout, patch) += dY (Cout, cols) · colᵀ (cols, patch), with the im2col matrices the forward pass
                // kept, or recomputed when keeping them (PatchSize × N × plane floats) was too expensive.
                ReadOnlySpan<float> columns = count == 1 && g.IsPointwise ? input.Slice(n0 * inSize, inSize)
                    : !keptColumns.IsEmpty ? keptColumns.Slice(n0 * patch * plane, patch * cols)
                    : PackChunk(g, input, n0, count, default);
                if (outChannels * patch <= SmallWeightGradient)
                    AddRowDots(dy, outChannels, columns, patch, cols, gradWeight);
                else
                    Gemm.Multiply(false, true, outChannels, patch, cols, 1f, dy, cols, columns, cols, 1f, gradWeight, patch);
            }

            if (!gradInput.IsEmpty)
            {
                if (count == 1 && g.IsPointwise)
                {
                    Gemm.Multiply(true, false, patch, plane, outChannels, 1f, weight, patch, dy, plane, 1f, gradInput.Slice(n0 * inSize, inSize), plane);
                    continue;
                }
                // dCol (patch, cols) = Wᵀ · dY, then col2im scatters it back onto each image.
                var dcol = Scratch(ref t_columns, patch * cols);
                Gemm.Multiply(true, false, patch, cols, outChannels, 1f, weight, patch, dy, cols, 0f, dcol, cols);
                for (int i = 0; i < count; i++)
                    Im2Col.Accumulate(g, dcol, cols, i * plane, gradInput.Slice((n0 + i) * inSize, inSize));
            }
        }
    }

    // A weight gradient this small (LeNet's first layer: 20×25) is a handful of long dot products; a packed GEMM
    // spends more on packing its thin operands than on the arithmetic (measured about 4x slower, one thread, for 20×25 over 128 images of 24×24).
    private const int SmallWeightGradient = 1024;

    /// <summary>acc[r, s] += a[r, :] · b[s, :] for a (rowsA, length) and b (rowsB, length), both with row stride length.</summary>
    private static void AddRowDots(ReadOnlySpan<float> a, int rowsA, ReadOnlySpan<float> b, int rowsB, int length, Span<float> acc)
    {
        for (int r = 0; r < rowsA; r++)
        {
            var ar = a.Slice(r * length, length);
            var accRow = acc.Slice(r * rowsB, rowsB);
            for (int q = 0; q < rowsB; q++) accRow[q] += TensorPrimitives.Dot(ar, b.Slice(q * length, length));
        }
    }

    /// <summary>Floats needed to keep the im2col matrices of a whole batch: PatchSize · N · OutH · OutW.</summary>
    public static long KeptColumnsLength(in ConvolutionGeometry g) => (long)g.PatchSize * g.Batch * g.OutputPlane;

    /// <summary>
    /// im2col of images [n0, n0+count) side by side: into the chunk's place in <paramref name="keep"/> when given
    /// (chunk starting at image n0 at offset n0·PatchSize·plane, row stride count·plane), else into thread scratch.
    /// </summary>
    private static Span<float> PackChunk(in ConvolutionGeometry g, ReadOnlySpan<float> input, int n0, int count, Span<float> keep)
    {
        int plane = g.OutputPlane, cols = count * plane, inSize = g.Channels * g.InputPlane;
        var columns = keep.IsEmpty ? Scratch(ref t_columns, g.PatchSize * cols) : keep.Slice(n0 * g.PatchSize * plane, g.PatchSize * cols);
        for (int i = 0; i < count; i++)
            Im2Col.Pack(g, input.Slice((n0 + i) * inSize, inSize), columns, cols, i * plane);
        return columns;
    }

    /// <summary>A span of exactly <paramref name="length"/> floats over a per-thread buffer that only grows.</summary>
    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private static void CheckSpans(in ConvolutionGeometry g, int outChannels, int inputLength, int weightLength, int biasLength,
        int outputLength, string outputName)
    {
        if (outChannels < 1) throw new ArgumentException($"Convolution: output channels must be >= 1, got {outChannels}.");
        int inSize = g.Batch * g.Channels * g.InputPlane;
        if (inputLength != inSize)
            throw new ArgumentException($"Convolution: input needs {inSize} elements (N={g.Batch}, C={g.Channels}, {g.Height}x{g.Width}), got {inputLength}.");
        if (weightLength != outChannels * g.PatchSize)
            throw new ArgumentException($"Convolution: weight needs {outChannels * g.PatchSize} elements ({outChannels}x{g.Channels}x{g.KernelH}x{g.KernelW}), got {weightLength}.");
        if (biasLength != 0 && biasLength != outChannels)
            throw new ArgumentException($"Convolution: bias needs {outChannels} elements, got {biasLength}.");
        int outSize = g.Batch * outChannels * g.OutputPlane;
        if (outputLength != outSize)
            throw new ArgumentException($"Convolution: {outputName} needs {outSize} elements (N={g.Batch}, C={outChannels}, {g.OutH}x{g.OutW}), got {outputLength}.");
    }
}
