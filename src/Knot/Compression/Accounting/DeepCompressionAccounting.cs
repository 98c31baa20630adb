using Knot.Storage.Common;

namespace Knot.Compression.Accounting;

/// <summary>Storage of one layer under Deep Compression's accounting (bits; fillers may be an expectation).</summary>
public sealed record LayerStorage(
    string Name,
    long Weights,
    long NonZeros,
    double Fillers,
    double WeightCodeBits,
    double IndexBits,
    long CodebookBits)
{
    /// <summary>The uncompressed size: 32 bits per weight.</summary>
    public long DenseBits => 32L * Weights;

    /// <summary>Stored entries (non-zeros plus filler zeros).</summary>
    public double Entries => NonZeros + Fillers;

    public double TotalBits => WeightCodeBits + IndexBits + CodebookBits;

    /// <summary>Compressed size as a fraction of the dense size (the papers' "compress rate" column).</summary>
    public double Fraction => DenseBits == 0 ? 0 : TotalBits / DenseBits;

    public double CompressionRatio => TotalBits == 0 ? double.PositiveInfinity : DenseBits / TotalBits;
}

/// <summary>A model's storage: the sum of its layers.</summary>
public sealed record ModelStorage(IReadOnlyList<LayerStorage> Layers)
{
    public long DenseBits => Layers.Sum(l => l.DenseBits);
    public double TotalBits => Layers.Sum(l => l.TotalBits);
    public double Fraction => DenseBits == 0 ? 0 : TotalBits / DenseBits;
    public double CompressionRatio => TotalBits == 0 ? double.PositiveInfinity : DenseBits / TotalBits;
}

/// <summary>
/// Deep Compression's storage accounting (Han et al. ICLR 2016, §3.3 of METHODS.md; also SWS's "CR"). A pruned layer is
/// stored as entries (weight code, relative index): the index is the gap to the previous entry in b_idx bits, covering
/// gaps 1..2^b_idx; a larger gap is bridged by filler entries (a zero weight) every 2^b_idx positions. So a gap g costs
/// ⌈g / 2^b_idx⌉ entries, i.e. ⌈g / 2^b_idx⌉ − 1 fillers. The first gap is measured from position −1.
/// P+Q bits = entries·(b_w + b_idx) + k·32 (the codebook, k = 2^b_w unless given).
/// P+Q+Huffman bits = Huffman-coded weight codes + Huffman-coded gaps + codebook (the coding tables are not counted,
/// as in the paper). This is the papers' accounting, not the .knot file: the file's real size is reported separately.
/// </summary>
public static class DeepCompressionAccounting
{
    /// <summary>Fillers needed for the non-zeros at the given sorted flat positions.</summary>
    public static long CountFillers(ReadOnlySpan<int> sortedPositions, int indexBits)
    {
        long span = IndexSpan(indexBits);
        long fillers = 0, previous = -1;
        foreach (int p in sortedPositions)
        {
            if (p <= previous) throw new ArgumentException($"Positions must be strictly increasing; {p} follows {previous}.", nameof(sortedPositions));
            fillers += (p - previous - 1) / span; // ⌈g/span⌉ − 1 with g = p − previous
            previous = p;
        }
        return fillers;
    }

    /// <summary>Fillers for the non-zero weights of a flattened layer.</summary>
    public static long CountFillers(ReadOnlySpan<float> weights, int indexBits)
    {
        long span = IndexSpan(indexBits);
        long fillers = 0, previous = -1;
        for (int p = 0; p < weights.Length; p++)
        {
            if (weights[p] == 0f) continue;
            fillers += (p - previous - 1) / span;
            previous = p;
        }
        return fillers;
    }

    /// <summary>
    /// Expected fillers when only a density is known: the non-zeros are modelled as independent positions with
    /// probability d each, so gaps are geometric, P(g &gt; m) = (1 − d)^m, and the expected fillers per gap are
    /// Σ_{m≥1} P(g &gt; m·2^b) = q / (1 − q) with q = (1 − d)^(2^b). Total = nnz · q / (1 − q) (trailing zeros after the
    /// last non-zero need no entries, and the model ignores the boundary effect of a finite layer).
    /// </summary>
    public static double ExpectedFillers(long weights, double density, int indexBits)
    {
        CheckDensity(density);
        double nnz = Math.Round(density * weights);
        if (nnz == 0 || density >= 1) return 0;
        double q = Math.Pow(1 - density, IndexSpan(indexBits));
        return nnz * q / (1 - q);
    }

    /// <summary>P+Q storage from counts.</summary>
    public static LayerStorage PrunedQuantized(string name, long weights, long nonZeros, double fillers, int weightBits, int indexBits, int? codebookEntries = null)
    {
        if (weights < 0 || nonZeros < 0 || nonZeros > weights)
            throw new ArgumentException($"Layer '{name}': need 0 ≤ non-zeros ({nonZeros}) ≤ weights ({weights}).");
        if (fillers < 0) throw new ArgumentOutOfRangeException(nameof(fillers), fillers, "Fillers must be >= 0.");
        if (weightBits < 1 || weightBits > 32) throw new ArgumentOutOfRangeException(nameof(weightBits), weightBits, "Must be in [1, 32].");
        IndexSpan(indexBits);
        long k = codebookEntries ?? (1L << Math.Min(weightBits, 30));
        double entries = nonZeros + fillers;
        return new LayerStorage(name, weights, nonZeros, fillers, entries * weightBits, entries * indexBits, 32L * k);
    }

    /// <summary>P+Q storage estimated from a density (expected-filler model, see <see cref="ExpectedFillers"/>).</summary>
    public static LayerStorage FromDensity(string name, long weights, double density, int weightBits, int indexBits, int? codebookEntries = null)
    {
        CheckDensity(density);
        long nnz = (long)Math.Round(density * weights);
        return PrunedQuantized(name, weights, nnz, ExpectedFillers(weights, density, indexBits), weightBits, indexBits, codebookEntries);
    }

    /// <summary>Exact P+Q storage of a pruned (zeros = pruned) layer's weights.</summary>
    public static LayerStorage FromWeights(string name, ReadOnlySpan<float> weights, int weightBits, int indexBits, int? codebookEntries = null)
    {
        long nnz = 0;
        foreach (var w in weights) if (w != 0f) nnz++;
        return PrunedQuantized(name, weights.Length, nnz, CountFillers(weights, indexBits), weightBits, indexBits, codebookEntries);
    }

    /// <summary>
    /// P+Q+Huffman storage of a quantized layer: <paramref name="indices"/> holds per weight a codebook index or −1
    /// (pruned). The entry stream (including fillers, which get their own "zero" weight symbol) is Huffman-coded for
    /// the weight codes and for the gaps separately, as in the paper.
    /// </summary>
    public static LayerStorage PrunedQuantizedHuffman(string name, ReadOnlySpan<int> indices, int codebookEntries, int indexBits)
    {
        if (codebookEntries < 1 || codebookEntries >= HuffmanCode.MaxAlphabetSize)
            throw new ArgumentOutOfRangeException(nameof(codebookEntries), codebookEntries, $"Must be in [1, {HuffmanCode.MaxAlphabetSize}).");
        long span = IndexSpan(indexBits);
        if (span > HuffmanCode.MaxAlphabetSize) throw new ArgumentOutOfRangeException(nameof(indexBits), indexBits, "At most 16 index bits for Huffman accounting.");
        var codeFreq = new long[codebookEntries + 1]; // last symbol = filler
        var gapFreq = new long[span];
        long nnz = 0, fillers = 0, previous = -1;
        for (int p = 0; p < indices.Length; p++)
        {
            int c = indices[p];
            if (c == -1) continue;
            if (c < 0 || c >= codebookEntries) throw new ArgumentException($"Index {c} at weight {p} is outside [-1, {codebookEntries}).", nameof(indices));
            long gap = p - previous;
            long f = (gap - 1) / span;
            fillers += f;
            gapFreq[span - 1] += f;
            codeFreq[codebookEntries] += f;
            gapFreq[gap - f * span - 1]++;
            codeFreq[c]++;
            nnz++;
            previous = p;
        }
        double codeBits = HuffmanBits(codeFreq), gapBits = HuffmanBits(gapFreq);
        return new LayerStorage(name, indices.Length, nnz, fillers, codeBits, gapBits, 32L * codebookEntries);
    }

    /// <summary>Bits of an optimal (length-limited) Huffman coding of symbols with these frequencies, table excluded.</summary>
    public static long HuffmanBits(ReadOnlySpan<long> frequencies)
    {
        long total = 0;
        foreach (var f in frequencies) total += f;
        if (total == 0) return 0;
        var code = HuffmanCode.FromFrequencies(frequencies);
        return code.EncodedBitCount(frequencies);
    }

    private static long IndexSpan(int indexBits)
    {
        if (indexBits < 1 || indexBits > 30) throw new ArgumentOutOfRangeException(nameof(indexBits), indexBits, "Index bits must be in [1, 30].");
        return 1L << indexBits;
    }

    private static void CheckDensity(double density)
    {
        if (!(density >= 0 && density <= 1)) throw new ArgumentOutOfRangeException(nameof(density), density, "Density must be in [0, 1].");
    }
}
