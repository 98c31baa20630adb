using System.Buffers.Binary;
using Knot.Storage.Common;
using Knot.Tensors;

namespace Knot.Storage.Compressed;

/// <summary>
/// Builds a .knot file. Add codebooks (shared by any number of tensors: one per model, per layer or per tensor),
/// tensors and int tables, set metadata, then <see cref="Write"/> (atomic) or <see cref="ToArray"/>. Each tensor is
/// encoded when added, with the smallest of the allowed encodings (exact sizes, computed without trial encoding), so
/// the caller's arrays may be reused afterwards. Output is deterministic: metadata sorted by key, tensors and codebooks
/// in the order added.
/// </summary>
public sealed class KnotFileWriter
{
    private static readonly PositionCoding[] AllPositions = [PositionCoding.Dense, PositionCoding.Gaps, PositionCoding.HuffmanGaps];
    private static readonly ValueCoding[] FloatValues = [ValueCoding.Float32, ValueCoding.Codes, ValueCoding.HuffmanCodes];

    private readonly List<float[]> _codebooks = [];
    private readonly List<Dictionary<float, int>> _codebookLookup = [];
    private readonly List<Entry> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private sealed record Entry(TensorSource Source, TensorEncoding Encoding, byte[] Payload);

    /// <summary>Free-form string metadata (architecture name, config JSON, provenance...). Keys must be non-empty.</summary>
    public SortedDictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Deflate the metadata block (flag bit 0) when that makes it smaller. The architecture and settings JSON are
    /// 0.5–1.5 KB, a tenth of a soft weight-sharing file; compressed they shrink to about a third. Off by default so
    /// that plain containers (and the golden file) keep their bytes; model files turn it on.
    /// </summary>
    public bool CompressMetadata { get; set; }

    /// <summary>The tensors added so far with their chosen encodings and payload sizes.</summary>
    public IReadOnlyList<(string Name, TensorEncoding Encoding, long PayloadBytes)> Entries
        => _tensors.Select(t => (t.Source.Name, t.Encoding, (long)t.Payload.Length)).ToList();

    /// <summary>Adds a codebook (1 to 65536 finite values) and returns its id.</summary>
    public int AddCodebook(float[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Length < 1 || entries.Length > KnotFormat.MaxCodebookSize)
            throw new ArgumentException($"A codebook needs 1 to {KnotFormat.MaxCodebookSize} entries, got {entries.Length}.", nameof(entries));
        var lookup = new Dictionary<float, int>();
        for (int i = 0; i < entries.Length; i++)
        {
            if (!float.IsFinite(entries[i])) throw new ArgumentException($"Codebook entry {i} is {entries[i]}.", nameof(entries));
            // float's equality makes -0 and +0 the same key, which is what matching weights needs.
            lookup.TryAdd(entries[i], i);
        }
        _codebooks.Add((float[])entries.Clone());
        _codebookLookup.Add(lookup);
        return _codebooks.Count - 1;
    }

    public TensorEncoding AddTensor(string name, Tensor tensor, EncodingRequest? encoding = null, int? codebookId = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return AddTensor(name, tensor.Data, tensor.Shape.ToArray(), encoding, codebookId);
    }

    /// <summary>
    /// Adds a float tensor. With a codebook every non-zero value must equal one of its entries (zeros need an entry
    /// only for the dense-codes encodings). Sparse encodings store zeros implicitly (the sign of a zero is not kept).
    /// Returns the encoding used.
    /// </summary>
    public TensorEncoding AddTensor(string name, float[] values, int[] shape, EncodingRequest? encoding = null, int? codebookId = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = CheckNameAndShape(name, shape, values.Length);
        var positions = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(values[i])) throw new ArgumentException($"Tensor '{name}': element {i} is {values[i]}.", nameof(values));
            if (values[i] != 0f) positions.Add(i);
        }
        int[]? denseCodes = null, sparseCodes = null;
        int codebookSize = 0;
        if (codebookId is int id)
        {
            if ((uint)id >= (uint)_codebooks.Count) throw new ArgumentOutOfRangeException(nameof(codebookId), id, $"There are {_codebooks.Count} codebooks.");
            var lookup = _codebookLookup[id];
            codebookSize = _codebooks[id].Length;
            sparseCodes = new int[positions.Count];
            for (int e = 0; e < positions.Count; e++)
            {
                float v = values[positions[e]];
                if (!lookup.TryGetValue(v, out sparseCodes[e]))
                    throw new ArgumentException($"Tensor '{name}': element {positions[e]} = {v:R} is not an entry of codebook {id}.", nameof(values));
            }
            if (lookup.TryGetValue(0f, out int zeroCode))
            {
                denseCodes = new int[n];
                Array.Fill(denseCodes, zeroCode);
                for (int e = 0; e < positions.Count; e++) denseCodes[positions[e]] = sparseCodes[e];
            }
        }
        var source = new TensorSource
        {
            Name = name, Shape = (int[])shape.Clone(), ElementCount = n, ElementType = KnotElementType.Float32,
            Floats = (float[])values.Clone(), Positions = [.. positions],
            CodebookId = codebookId ?? -1, CodebookSize = codebookSize, DenseCodes = denseCodes, SparseCodes = sparseCodes,
        };
        return Add(source, encoding ?? EncodingRequest.Auto);
    }

    /// <summary>Adds an int32 table, stored as (value − min) in the fewest bits that hold max − min (at least 1).</summary>
    public TensorEncoding AddIndexTable(string name, int[] values, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = CheckNameAndShape(name, shape, values.Length);
        int min = n == 0 ? 0 : values.Min(), max = n == 0 ? 0 : values.Max();
        ulong range = (ulong)((long)max - min);
        int bits = 1;
        while (bits < 32 && (range >> bits) != 0) bits++;
        var source = new TensorSource
        {
            Name = name, Shape = (int[])shape.Clone(), ElementCount = n, ElementType = KnotElementType.Int32,
            Ints = (int[])values.Clone(), IntMinimum = min, IntBits = bits,
        };
        return Add(source, new EncodingRequest(PositionCoding.Dense, ValueCoding.PackedInt32));
    }

    private TensorEncoding Add(TensorSource source, EncodingRequest request)
    {
        if (request.GapBits is int gb && (gb < 1 || gb > KnotFormat.MaxGapBits))
            throw new ArgumentOutOfRangeException(nameof(request), gb, $"Gap bits must be in [1, {KnotFormat.MaxGapBits}].");
        if (request.GapBits is not null && request.Positions == PositionCoding.Dense)
            throw new ArgumentException($"Tensor '{source.Name}': gap bits were given but dense positions were requested.", nameof(request));
        TensorEncoding? best = null;
        long bestBytes = long.MaxValue;
        foreach (var candidate in Candidates(source, request))
        {
            if (!source.Supports(candidate)) continue;
            long bytes = source.PayloadBytes(candidate);
            if (bytes < bestBytes) { best = candidate; bestBytes = bytes; }
        }
        if (best is not TensorEncoding chosen)
        {
            string why = source.ElementType == KnotElementType.Int32 ? "int tables are stored dense as packed integers"
                : request.Values == ValueCoding.PackedInt32 ? "packed integers are for int tables (AddIndexTable)"
                : request.Values == ValueCoding.Float16 ? "some value is not exactly a float16 (round it first: the writer never rounds)"
                : source.CodebookId < 0 ? "codes need a codebook"
                : "with dense positions every element (zeros included) must be on the codebook";
            throw new ArgumentException($"Tensor '{source.Name}' cannot be stored as requested ({request}): {why}.", nameof(request));
        }
        var payload = TensorCodec.Encode(source, chosen);
        if (payload.Length != bestBytes)
            throw new InvalidOperationException($"Size estimate {bestBytes} != encoded {payload.Length} bytes for '{source.Name}' ({chosen}); this is a bug.");
        _names.Add(source.Name);
        _tensors.Add(new Entry(source, chosen, payload));
        return chosen;
    }

    private static IEnumerable<TensorEncoding> Candidates(TensorSource s, EncodingRequest request)
    {
        var positionsList = request.Positions is PositionCoding p ? [p] : AllPositions;
        ValueCoding[] valuesList = request.Values is ValueCoding v ? [v]
            : s.ElementType == KnotElementType.Int32 ? [ValueCoding.PackedInt32] : FloatValues;
        foreach (var positions in positionsList)
        {
            int lo = 0, hi = 0;
            if (positions != PositionCoding.Dense) (lo, hi) = request.GapBits is int g ? (g, g) : (1, KnotFormat.MaxGapBits);
            for (int gapBits = lo; gapBits <= hi; gapBits++)
            {
                foreach (var values in valuesList)
                {
                    int codeBits = values switch
                    {
                        ValueCoding.Codes when s.CodebookId >= 0 => s.CodeBits,
                        ValueCoding.PackedInt32 => s.IntBits,
                        _ => 0,
                    };
                    yield return new TensorEncoding(positions, values, gapBits, codeBits);
                }
            }
        }
    }

    private int CheckNameAndShape(string name, int[] shape, int length)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("Tensor name must be non-empty.", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length > KnotFormat.MaxRank) throw new ArgumentException($"Tensor '{name}': rank {shape.Length} exceeds {KnotFormat.MaxRank}.", nameof(shape));
        var s = new Shape(shape);
        if (s.Size != length) throw new ArgumentException($"Tensor '{name}': shape {s} has {s.Size} elements, values have {length}.", nameof(shape));
        return length;
    }

    /// <summary>The complete file.</summary>
    public byte[] ToArray()
    {
        var metadata = new HeaderWriter();
        metadata.WriteVarUInt((ulong)Metadata.Count);
        foreach (var (key, value) in Metadata)
        {
            if (string.IsNullOrEmpty(key)) throw new InvalidOperationException("Metadata keys must be non-empty.");
            metadata.WriteString(key);
            metadata.WriteString(value ?? throw new InvalidOperationException($"Metadata '{key}' is null."));
        }
        var header = new HeaderWriter();
        ushort flags = 0;
        byte[]? deflated = CompressMetadata ? Deflate(metadata.Written) : null;
        if (deflated is not null && deflated.Length + 8 < metadata.Length)
        {
            flags |= KnotFormat.CompressedMetadataFlag;
            header.WriteVarUInt((ulong)metadata.Length);
            header.WriteVarUInt((ulong)deflated.Length);
            header.WriteBytes(deflated);
        }
        else
        {
            header.WriteBytes(metadata.Written);
        }
        header.WriteVarUInt((ulong)_codebooks.Count);
        foreach (var codebook in _codebooks)
        {
            header.WriteVarUInt((ulong)codebook.Length);
            foreach (var c in codebook) header.WriteSingle(c);
        }
        header.WriteVarUInt((ulong)_tensors.Count);
        long offset = 0;
        foreach (var (s, e, payload) in _tensors)
        {
            header.WriteString(s.Name);
            header.WriteByte((byte)s.ElementType);
            header.WriteByte((byte)s.Shape.Length);
            foreach (int d in s.Shape) header.WriteVarUInt((ulong)d);
            header.WriteByte((byte)e.Positions);
            header.WriteByte((byte)e.Values);
            if (e.IsSparse)
            {
                header.WriteByte((byte)e.GapBits);
                header.WriteVarUInt((ulong)s.Positions.Length);
                header.WriteVarUInt((ulong)s.GapSymbolCount(e.GapBits));
            }
            if (e.UsesCodebook)
            {
                header.WriteVarUInt((ulong)s.CodebookId);
                if (e.Values == ValueCoding.Codes) header.WriteByte((byte)e.CodeBits);
            }
            if (e.Values == ValueCoding.PackedInt32)
            {
                header.WriteByte((byte)e.CodeBits);
                header.WriteVarInt(s.IntMinimum);
            }
            header.WriteVarUInt((ulong)offset);
            header.WriteVarUInt((ulong)payload.Length);
            offset += payload.Length;
        }

        long total = KnotFormat.PreambleSize + header.Length + offset + KnotFormat.CrcSize;
        if (total > Array.MaxLength) throw new InvalidOperationException($"The file would have {total} bytes; at most {Array.MaxLength} are supported.");
        var file = new byte[total];
        var span = file.AsSpan();
        KnotFormat.Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], KnotFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)header.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(span[12..], (ulong)offset);
        header.Written.CopyTo(span[KnotFormat.PreambleSize..]);
        int at = KnotFormat.PreambleSize + header.Length;
        foreach (var t in _tensors)
        {
            t.Payload.CopyTo(span[at..]);
            at += t.Payload.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32.Compute(span[..at]));
        return file;
    }

    private static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
            deflate.Write(data);
        return output.ToArray();
    }

    /// <summary>Writes the file atomically (temporary file in the same directory, then rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllBytes(path, ToArray());
}
