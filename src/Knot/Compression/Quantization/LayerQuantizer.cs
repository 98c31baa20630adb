namespace Knot.Compression.Quantization;

/// <summary>
/// A layer quantized onto a codebook: <see cref="Indices"/> has one entry per weight of the layer, the codebook index of
/// a surviving weight or <see cref="Pruned"/> (-1) for a pruned one (which stays exactly zero and is not on the book).
/// </summary>
public sealed class QuantizedLayer
{
    public const int Pruned = -1;

    public QuantizedLayer(float[] codebook, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < Pruned || indices[i] >= codebook.Length)
                throw new ArgumentException($"Index {indices[i]} of weight {i} is outside [-1, {codebook.Length}).", nameof(indices));
        }
        Codebook = codebook;
        Indices = indices;
    }

    /// <summary>Centroids, sorted ascending after k-means; fine-tuning may move them.</summary>
    public float[] Codebook { get; }

    public int[] Indices { get; }

    /// <summary>Writes codebook[index] into every surviving weight and 0 into pruned ones.</summary>
    public void WriteWeights(Span<float> weights)
    {
        if (weights.Length != Indices.Length)
            throw new ArgumentException($"Layer has {Indices.Length} weights, span has {weights.Length}.", nameof(weights));
        for (int i = 0; i < weights.Length; i++) weights[i] = Indices[i] == Pruned ? 0f : Codebook[Indices[i]];
    }

    /// <summary>
    /// Deep Compression's centroid fine-tuning gradient: each centroid gets the sum of the gradients of the weights
    /// that share it (pruned weights contribute nothing). <paramref name="centroidGradients"/> is overwritten.
    /// </summary>
    public void SumGradients(ReadOnlySpan<float> weightGradients, Span<float> centroidGradients)
        => CentroidFineTuning.SumGradients(weightGradients, Indices, centroidGradients);

    /// <summary>One plain gradient step on the centroids: c ← c − lr · Σ member gradients.</summary>
    public void StepCentroids(ReadOnlySpan<float> weightGradients, float learningRate)
    {
        Span<float> g = Codebook.Length <= 1024 ? stackalloc float[Codebook.Length] : new float[Codebook.Length];
        SumGradients(weightGradients, g);
        for (int j = 0; j < Codebook.Length; j++) Codebook[j] -= learningRate * g[j];
    }
}

/// <summary>Per-layer trained quantization (Deep Compression §3.2): k-means over the surviving weights.</summary>
public static class LayerQuantizer
{
    /// <summary>
    /// Clusters the weights with <paramref name="keep"/>[i] true into <paramref name="k"/> centroids (linear init over
    /// their [min, max]). An empty <paramref name="keep"/> keeps every weight. A layer with no survivors gets a codebook of
    /// k zeros and all indices pruned.
    /// </summary>
    public static QuantizedLayer Quantize(ReadOnlySpan<float> weights, ReadOnlySpan<bool> keep, int k, int maxIterations = 100)
    {
        if (!keep.IsEmpty && keep.Length != weights.Length)
            throw new ArgumentException($"Mask has {keep.Length} entries, layer has {weights.Length} weights.", nameof(keep));
        var indices = new int[weights.Length];
        int survivors = 0;
        for (int i = 0; i < weights.Length; i++) if (keep.IsEmpty || keep[i]) survivors++;
        if (survivors == 0)
        {
            if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "Need at least one centroid.");
            Array.Fill(indices, QuantizedLayer.Pruned);
            return new QuantizedLayer(new float[k], indices);
        }
        var values = new float[survivors];
        for (int i = 0, s = 0; i < weights.Length; i++) if (keep.IsEmpty || keep[i]) values[s++] = weights[i];
        var result = KMeans1D.Fit(values, k, maxIterations);
        for (int i = 0, s = 0; i < weights.Length; i++)
            indices[i] = keep.IsEmpty || keep[i] ? result.Assignments[s++] : QuantizedLayer.Pruned;
        return new QuantizedLayer(result.Codebook, indices);
    }

    /// <summary>Codebook size for a bit width (Deep Compression: 2^bits centroids).</summary>
    public static int CentroidsForBits(int bits)
    {
        if (bits < 1 || bits > 16) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Bit width must be in [1, 16].");
        return 1 << bits;
    }
}

/// <summary>Gradient helpers for fine-tuning shared centroids.</summary>
public static class CentroidFineTuning
{
    /// <summary>
    /// centroidGradients[j] = Σ_{i : indices[i] = j} weightGradients[i]; indices of -1 (pruned) are skipped. Summed in
    /// double so the result does not depend on how many members a centroid has beyond rounding of the final cast.
    /// </summary>
    public static void SumGradients(ReadOnlySpan<float> weightGradients, ReadOnlySpan<int> indices, Span<float> centroidGradients)
    {
        if (weightGradients.Length != indices.Length)
            throw new ArgumentException($"{weightGradients.Length} gradients but {indices.Length} indices.", nameof(weightGradients));
        Span<double> sums = centroidGradients.Length <= 1024 ? stackalloc double[centroidGradients.Length] : new double[centroidGradients.Length];
        sums.Clear();
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if (j < 0) continue;
            if (j >= sums.Length) throw new ArgumentException($"Index {j} of weight {i} is outside the {sums.Length} centroids.", nameof(indices));
            sums[j] += weightGradients[i];
        }
        for (int j = 0; j < sums.Length; j++) centroidGradients[j] = (float)sums[j];
    }
}
