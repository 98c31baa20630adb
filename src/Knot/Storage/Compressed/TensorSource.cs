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

    public long[] GapHistogram(int bits)
    {
        if (!_gapHistograms.TryGetValue(bits, out var h)) _gapHistograms[bits] = h = GapCoding.Histogram(Positions, bits);
        return h;
    }

    public HuffmanCode GapHuffman(int bits) => HuffmanCode.FromFrequencies(GapHistogram(bits));

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
                bytes += CeilBytes(GapCoding.SymbolCount(Positions, e.GapBits) * e.GapBits);
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

    private static long CeilBytes(long bits) => (bits + 7) >> 3;
}
