using Knot.Storage.Common;

namespace Knot.Storage.Compressed;

/// <summary>
/// A tensor prepared for encoding: its values, non-zero positions and (with a codebook) codes, plus cached
/// histograms so that every candidate encoding's exact size can be computed without encoding it.
/// </summary>
internal sealed class TensorSource
{
    private readonly Dictionary<int, long[]> _gapHistograms = [];
    private HuffmanCode? _denseCodeHuffman, _sparseCodeHuffman;
    private long[]? _denseCodeFreq, _sparseCodeFreq;

    public required string Name { get; init; }
    public required int[] Shape { get; init; }
    public required int ElementCount { get; init; }
    public KnotElementType ElementType { get; init; }

    public float[]? Floats { get; init; }
    public int[]? Ints { get; init; }
    public int IntMinimum { get; init; }
    public int IntBits { get; init; }

    /// <summary>Flat positions of the non-zero floats.</summary>
    public int[] Positions { get; init; } = [];

    public int CodebookId { get; init; } = -1;
    public int CodebookSize { get; init; }

    /// <summary>Code of every element, or null when some element (a zero) is not on the codebook.</summary>
    public int[]? DenseCodes { get; init; }

    /// <summary>Code of every non-zero.</summary>
    public int[]? SparseCodes { get; init; }

    public int CodeBits => KnotFormat.CodeBitsFor(CodebookSize);

    /// <summary>
    /// The distinct values of (gap − 1) with their counts, computed once: every gap width's symbol count and histogram
    /// then costs O(distinct gaps) instead of O(non-zeros), which keeps trying all 16 widths cheap on large layers.
    /// </summary>
    private (long[] Values, long[] Counts)? _distinctGaps;

    private (long[] Values, long[] Counts) DistinctGaps()
    {
        if (_distinctGaps is { } d) return d;
        const int denseLimit = 1 << 16;
        var small = new long[denseLimit];
        var large = new Dictionary<long, long>();
        long previous = -1;
        foreach (int p in Positions)
        {
            long g1 = p - previous - 1;
            if (g1 < denseLimit) small[g1]++;
            else large[g1] = large.GetValueOrDefault(g1) + 1;
            previous = p;
        }
        var values = new List<long>();
        var counts = new List<long>();
        for (int g = 0; g < denseLimit; g++) if (small[g] > 0) { values.Add(g); counts.Add(small[g]); }
        foreach (var g in large.Keys.Order()) { values.Add(g); counts.Add(large[g]); }
        _distinctGaps = ([.. values], [.. counts]);
        return _distinctGaps.Value;
    }

    /// <summary>Gap symbols (entries plus fillers) with this width; equals <see cref="GapCoding.SymbolCount"/>.</summary>
    public long GapSymbolCount(int bits)
    {
        var (values, counts) = DistinctGaps();
        long escape = GapCoding.Escape(bits), total = 0;
        for (int i = 0; i < values.Length; i++) total += counts[i] * (1 + values[i] / escape);
        return total;
    }

    public long[] GapHistogram(int bits)
    {
        if (_gapHistograms.TryGetValue(bits, out var h)) return h;
        var (values, counts) = DistinctGaps();
        int escape = GapCoding.Escape(bits);
        h = new long[escape + 1];
        for (int i = 0; i < values.Length; i++)
        {
            h[escape] += counts[i] * (values[i] / escape);
            h[values[i] % escape] += counts[i];
        }
        _gapHistograms[bits] = h;
        return h;
    }

    private readonly Dictionary<int, HuffmanCode> _gapCodes = [];

    public HuffmanCode GapHuffman(int bits)
    {
        if (!_gapCodes.TryGetValue(bits, out var code)) _gapCodes[bits] = code = HuffmanCode.FromFrequencies(GapHistogram(bits));
        return code;
    }

    public (HuffmanCode Code, long[] Frequencies) CodeHuffman(bool sparse)
    {
        if (sparse)
        {
            _sparseCodeFreq ??= HuffmanCode.CountFrequencies(SparseCodes!, CodebookSize);
            _sparseCodeHuffman ??= HuffmanCode.FromFrequencies(_sparseCodeFreq);
            return (_sparseCodeHuffman, _sparseCodeFreq);
        }
        _denseCodeFreq ??= HuffmanCode.CountFrequencies(DenseCodes!, CodebookSize);
        _denseCodeHuffman ??= HuffmanCode.FromFrequencies(_denseCodeFreq);
        return (_denseCodeHuffman, _denseCodeFreq);
    }

    /// <summary>Whether the tensor can be stored with this encoding.</summary>
    public bool Supports(TensorEncoding e)
    {
        if (ElementType == KnotElementType.Int32) return e.Positions == PositionCoding.Dense && e.Values == ValueCoding.PackedInt32;
        if (e.Values == ValueCoding.PackedInt32) return false;
        if (e.IsSparse && (e.GapBits < 1 || e.GapBits > KnotFormat.MaxGapBits)) return false;
        if (e.Values == ValueCoding.Float16) return AllHalfExact();
        if (!e.UsesCodebook) return true;
        if (CodebookId < 0) return false;
        return e.IsSparse ? SparseCodes is not null : DenseCodes is not null;
    }

    /// <summary>Exact payload size in bytes of this encoding (what <see cref="TensorCodec.Encode"/> produces).</summary>
    public long PayloadBytes(TensorEncoding e)
    {
        long bytes = 0;
        long count = ElementCount;
        if (e.IsSparse)
        {
            count = Positions.Length;
            if (e.Positions == PositionCoding.Gaps)
            {
                bytes += CeilBytes(GapSymbolCount(e.GapBits) * e.GapBits);
            }
            else if (Positions.Length > 0)
            {
                var code = GapHuffman(e.GapBits);
                bytes += CeilBytes(code.TableBitCount + code.EncodedBitCount(GapHistogram(e.GapBits)));
            }
        }
        switch (e.Values)
        {
            case ValueCoding.Float32: bytes += 4 * count; break;
            case ValueCoding.Float16: bytes += 2 * count; break;
            case ValueCoding.Codes: bytes += CeilBytes(count * CodeBits); break;
            case ValueCoding.PackedInt32: bytes += CeilBytes(count * IntBits); break;
            case ValueCoding.HuffmanCodes:
                if (count > 0)
                {
                    var (code, freq) = CodeHuffman(e.IsSparse);
                    bytes += CeilBytes(code.TableBitCount + code.EncodedBitCount(freq));
                }
                break;
        }
        return bytes;
    }

    private bool? _allHalfExact;

    /// <summary>Whether every value survives a round trip through float16 bit for bit (zeros included: −0 stays −0).</summary>
    private bool AllHalfExact()
    {
        if (_allHalfExact is bool known) return known;
        bool exact = true;
        foreach (float v in Floats ?? [])
        {
            if (BitConverter.SingleToInt32Bits((float)(Half)v) != BitConverter.SingleToInt32Bits(v)) { exact = false; break; }
        }
        _allHalfExact = exact;
        return exact;
    }

    private static long CeilBytes(long bits) => (bits + 7) >> 3;
}
