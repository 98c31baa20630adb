using System.Buffers.Binary;
using Knot.Storage.Common;
using Knot.Tensors;

namespace Knot.Storage.Compressed;

/// <summary>A tensor's header entry as read from a file (already range-checked against the header's own rules).</summary>
internal sealed record TensorHeader(
    string Name,
    KnotElementType ElementType,
    Shape Shape,
    TensorEncoding Encoding,
    int Entries,
    long GapSymbols,
    int CodebookId,
    long IntMinimum,
    long PayloadOffset,
    long PayloadLength);

/// <summary>
/// Encodes and decodes one tensor's payload: [gap section, padded to a byte][value section, padded to a byte]. A
/// Huffman section starts with its code-length table; an empty section (no symbols) has no table.
/// </summary>
internal static class TensorCodec
{
    public static byte[] Encode(TensorSource s, TensorEncoding e)
    {
        var w = new BitWriter((int)Math.Min(int.MaxValue - 64, s.PayloadBytes(e) + 8));
        bool sparse = e.IsSparse;
        if (sparse && s.Positions.Length > 0)
        {
            HuffmanCode? gapCode = null;
            if (e.Positions == PositionCoding.HuffmanGaps)
            {
                gapCode = s.GapHuffman(e.GapBits);
                gapCode.WriteTable(w);
            }
            GapCoding.Write(w, s.Positions, e.GapBits, gapCode);
            w.AlignToByte();
        }
        switch (e.Values)
        {
            case ValueCoding.Float32:
            {
                var floats = s.Floats!;
                float[] stored = sparse ? [.. s.Positions.Select(p => floats[p])] : floats;
                var bytes = new byte[4 * stored.Length];
                for (int i = 0; i < stored.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), stored[i]);
                w.WriteBytes(bytes);
                break;
            }
            case ValueCoding.Float16:
            {
                var floats = s.Floats!;
                float[] stored = sparse ? [.. s.Positions.Select(p => floats[p])] : floats;
                var bytes = new byte[2 * stored.Length];
                for (int i = 0; i < stored.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)stored[i]);
                w.WriteBytes(bytes);
                break;
            }
            case ValueCoding.Codes:
            {
                int bits = s.CodeBits;
                foreach (int c in sparse ? s.SparseCodes! : s.DenseCodes!) w.WriteBits((uint)c, bits);
                break;
            }
            case ValueCoding.HuffmanCodes:
            {
                var codes = sparse ? s.SparseCodes! : s.DenseCodes!;
                if (codes.Length == 0) break;
                var (code, _) = s.CodeHuffman(sparse);
                code.WriteTable(w);
                foreach (int c in codes) code.Encode(w, c);
                break;
            }
            case ValueCoding.PackedInt32:
                foreach (int v in s.Ints!) w.WriteBits((uint)((long)v - s.IntMinimum), s.IntBits);
                break;
        }
        w.AlignToByte();
        return w.ToArray();
    }

    public static KnotTensor Decode(TensorHeader h, ReadOnlySpan<byte> payload, IReadOnlyList<float[]> codebooks, string context)
    {
        var e = h.Encoding;
        int n = h.Shape.Size;
        var r = new BitReader(payload, context);
        int[]? positions = null;
        if (e.IsSparse)
        {
            long minBitsPerSymbol = e.Positions == PositionCoding.Gaps ? e.GapBits : 1;
            if (h.GapSymbols > r.BitsRemaining / minBitsPerSymbol)
                throw new InvalidDataException($"{context}: {h.GapSymbols} gap symbols of at least {minBitsPerSymbol} bits cannot fit in {payload.Length} payload bytes.");
            HuffmanCode? gapCode = null;
            if (h.GapSymbols > 0 && e.Positions == PositionCoding.HuffmanGaps)
                gapCode = HuffmanCode.ReadTable(ref r, GapCoding.Escape(e.GapBits) + 1);
            positions = GapCoding.Read(ref r, e.GapBits, gapCode, h.GapSymbols, h.Entries, n);
            r.SkipPaddingToByte();
        }
        int count = positions?.Length ?? n;
        long storedBytes = h.PayloadLength;
        switch (e.Values)
        {
            case ValueCoding.Float32:
            {
                if (count > r.BitsRemaining / 32)
                    throw new InvalidDataException($"{context}: {count} float32 values do not fit in the {r.BitsRemaining / 8} payload bytes left.");
                var bytes = r.ReadBytes(4 * count);
                var values = new float[count];
                if (BitConverter.IsLittleEndian) System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                else for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
                r.ExpectEnd();
                return positions is null
                    ? new DenseKnotTensor(h.Name, h.Shape, e, storedBytes, values)
                    : new SparseKnotTensor(h.Name, h.Shape, e, storedBytes, Structure(positions, h.Shape), values);
            }
            case ValueCoding.Float16:
            {
                if (count > r.BitsRemaining / 16)
                    throw new InvalidDataException($"{context}: {count} float16 values do not fit in the {r.BitsRemaining / 8} payload bytes left.");
                var bytes = r.ReadBytes(2 * count);
                var values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(2 * i, 2));
                r.ExpectEnd();
                return positions is null
                    ? new DenseKnotTensor(h.Name, h.Shape, e, storedBytes, values)
                    : new SparseKnotTensor(h.Name, h.Shape, e, storedBytes, Structure(positions, h.Shape), values);
            }
            case ValueCoding.Codes:
            case ValueCoding.HuffmanCodes:
            {
                var codebook = codebooks[h.CodebookId];
                long minBits = e.Values == ValueCoding.Codes ? e.CodeBits : 1;
                if (count > r.BitsRemaining / minBits)
                    throw new InvalidDataException($"{context}: {count} codes of at least {minBits} bits do not fit in the {r.BitsRemaining / 8} payload bytes left.");
                var codes = new ushort[count];
                if (e.Values == ValueCoding.Codes)
                {
                    for (int i = 0; i < count; i++)
                    {
                        uint c = r.ReadBits(e.CodeBits);
                        if (c >= (uint)codebook.Length)
                            throw new InvalidDataException($"{context}: code {c} of entry {i} is outside codebook {h.CodebookId} of {codebook.Length} entries.");
                        codes[i] = (ushort)c;
                    }
                }
                else if (count > 0)
                {
                    // The table cannot describe symbols past the codebook, so decoded codes are always in range.
                    var code = HuffmanCode.ReadTable(ref r, codebook.Length);
                    for (int i = 0; i < count; i++) codes[i] = (ushort)code.Decode(ref r);
                }
                r.ExpectEnd();
                return positions is null
                    ? new CodebookKnotTensor(h.Name, h.Shape, e, storedBytes, h.CodebookId, codebook, codes)
                    : new SparseCodebookKnotTensor(h.Name, h.Shape, e, storedBytes, Structure(positions, h.Shape), h.CodebookId, codebook, codes);
            }
            default:
            {
                int bits = e.CodeBits;
                if (count > r.BitsRemaining / bits)
                    throw new InvalidDataException($"{context}: {count} integers of {bits} bits do not fit in the {r.BitsRemaining / 8} payload bytes left.");
                var values = new int[count];
                for (int i = 0; i < count; i++)
                {
                    long v = h.IntMinimum + r.ReadBits(bits);
                    if (v > int.MaxValue)
                        throw new InvalidDataException($"{context}: integer {i} decodes to {v}, outside the int32 range.");
                    values[i] = (int)v;
                }
                r.ExpectEnd();
                return new IndexTableKnotTensor(h.Name, h.Shape, e, storedBytes, values);
            }
        }
    }

    private static SparseStructure Structure(int[] positions, Shape shape)
    {
        var (rows, columns) = SparseStructure.MatrixView(shape.Dims);
        return new SparseStructure(positions, rows, columns);
    }
}
