using System.Buffers.Binary;
using Knot.Storage.Common;
using Knot.Tensors;

namespace Knot.Storage.Compressed;

/// <summary>
/// A .knot file read into memory: metadata, codebooks and tensors in their stored representations. Reading checks
/// the magic, version, declared lengths against the file size, the CRC-32, and then every header field and payload
/// against the bytes actually present before allocating anything; any problem is an <see cref="InvalidDataException"/>
/// that names the file, the field and the byte offset. Payloads are decoded eagerly, so a file that reads without an
/// exception is fully valid.
/// </summary>
public sealed class KnotFile
{
    private readonly Dictionary<string, KnotTensor> _byName;

    private KnotFile(int version, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<float[]> codebooks, IReadOnlyList<KnotTensor> tensors, long fileBytes)
    {
        Version = version;
        Metadata = metadata;
        Codebooks = codebooks;
        Tensors = tensors;
        FileBytes = fileBytes;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public int Version { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyList<float[]> Codebooks { get; }
    public IReadOnlyList<KnotTensor> Tensors { get; }

    /// <summary>Size of the whole file in bytes (what the compression ratio divides by).</summary>
    public long FileBytes { get; }

    public KnotTensor this[string name] => _byName.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"The file has no tensor named '{name}'.");

    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out KnotTensor tensor)
        => _byName.TryGetValue(name, out tensor);

    /// <summary>A float tensor expanded to dense row-major values.</summary>
    public float[] GetDense(string name) => this[name] is KnotFloatTensor f ? f.ToDense()
        : throw new InvalidOperationException($"Tensor '{name}' is an int table, not a float tensor.");

    /// <summary>The values of an int table.</summary>
    public int[] GetIndexTable(string name) => this[name] is IndexTableKnotTensor t ? t.Values
        : throw new InvalidOperationException($"Tensor '{name}' is a float tensor, not an int table.");

    private static Dictionary<string, string> ReadMetadata(ref HeaderReader r, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        long metadataCount = r.ReadVarUInt("metadata count", 0, r.Remaining);
        for (long i = 0; i < metadataCount; i++)
        {
            long at = r.FileOffset;
            string key = r.ReadString($"metadata key #{i}");
            string value = r.ReadString($"metadata value #{i}");
            if (key.Length == 0) throw new InvalidDataException($"{source}: metadata key #{i} at byte {at} is empty.");
            if (!metadata.TryAdd(key, value)) throw new InvalidDataException($"{source}: metadata key '{key}' at byte {at} appears twice.");
        }
        return metadata;
    }

    /// <summary>Inflates exactly <paramref name="rawLength"/> bytes (declared, already capped) and checks the stream ends there.</summary>
    private static byte[] Inflate(ReadOnlySpan<byte> packed, int rawLength, string what)
    {
        var raw = new byte[rawLength];
        try
        {
            using var deflate = new System.IO.Compression.DeflateStream(new MemoryStream(packed.ToArray()), System.IO.Compression.CompressionMode.Decompress);
            int read = deflate.ReadAtLeast(raw, rawLength, throwOnEndOfStream: false);
            if (read != rawLength) throw new InvalidDataException($"{what}: inflates to {read} bytes, the header declares {rawLength}.");
            if (deflate.ReadByte() != -1) throw new InvalidDataException($"{what}: inflates to more than the {rawLength} bytes the header declares.");
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{what}: not a valid Deflate stream ({e.Message}).", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(what, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{what}: not a valid Deflate stream ({e.Message}).", e);
        }
        return raw;
    }

    public static KnotFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = stream.Length;
        if (length > Array.MaxLength)
            throw new InvalidDataException($"{path}: {length} bytes is larger than the {Array.MaxLength} bytes a .knot file may have.");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return Parse(bytes, path);
    }

    /// <summary>Parses a complete file image; <paramref name="source"/> names it in error messages.</summary>
    public static KnotFile Parse(ReadOnlySpan<byte> data, string source = "<memory>")
    {
        const int minimum = KnotFormat.PreambleSize + KnotFormat.CrcSize;
        if (data.Length < minimum)
            throw new InvalidDataException($"{source}: {data.Length} bytes is shorter than the {minimum}-byte minimum of a .knot file.");
        if (!data[..4].SequenceEqual(KnotFormat.Magic))
            throw new InvalidDataException($"{source}: not a .knot file (magic bytes {Convert.ToHexString(data[..4])}, expected {Convert.ToHexString(KnotFormat.Magic)}).");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != KnotFormat.Version)
            throw new InvalidDataException($"{source}: format version {version} at byte 4 is not supported (this reader reads version {KnotFormat.Version}).");
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        if ((flags & ~KnotFormat.CompressedMetadataFlag) != 0)
            throw new InvalidDataException($"{source}: flags 0x{flags:X4} at byte 6 are not defined in version {KnotFormat.Version} (expected 0 or 0x{KnotFormat.CompressedMetadataFlag:X4}).");
        ulong headerLength = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(data[12..]);
        ulong available = (ulong)(data.Length - minimum);
        if (headerLength > available || payloadLength > available - headerLength || headerLength + payloadLength != available)
            throw new InvalidDataException($"{source}: header ({headerLength} bytes, byte 8) plus payload ({payloadLength} bytes, byte 12) must fill the file's {available} bytes between preamble and CRC.");
        int crcAt = data.Length - KnotFormat.CrcSize;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[crcAt..]);
        uint actual = Crc32.Compute(data[..crcAt]);
        if (stored != actual)
            throw new InvalidDataException($"{source}: CRC-32 mismatch (stored 0x{stored:X8} at byte {crcAt}, computed 0x{actual:X8}); the file is corrupt.");

        int headerStart = KnotFormat.PreambleSize;
        int payloadStart = headerStart + (int)headerLength;
        var payload = data.Slice(payloadStart, (int)payloadLength);
        var r = new HeaderReader(data.Slice(headerStart, (int)headerLength), headerStart, source);

        Dictionary<string, string> metadata;
        if ((flags & KnotFormat.CompressedMetadataFlag) != 0)
        {
            long blockAt = r.FileOffset;
            int rawLength = (int)r.ReadVarUInt("compressed metadata: raw length", 1, KnotFormat.MaxMetadataBytes);
            int packedLength = (int)r.ReadVarUInt("compressed metadata: compressed length", 1, r.Remaining);
            // Deflate cannot expand data more than ~1032:1, so a larger claim is refused before anything is allocated.
            if (rawLength > 1032L * packedLength + 64)
                throw new InvalidDataException($"{source}: compressed metadata at byte {blockAt} claims {rawLength} bytes from {packedLength}, more than Deflate can produce.");
            var raw = Inflate(r.ReadBytes(packedLength, "compressed metadata"), rawLength, $"{source}: compressed metadata at byte {blockAt}");
            var m = new HeaderReader(raw, 0, $"{source} (decompressed metadata)");
            metadata = ReadMetadata(ref m, source);
            if (m.Remaining != 0) throw m.Error("end of the decompressed metadata", $"{m.Remaining} unexpected bytes");
        }
        else
        {
            metadata = ReadMetadata(ref r, source);
        }

        var codebooks = new List<float[]>();
        long codebookCount = r.ReadVarUInt("codebook count", 0, r.Remaining);
        for (long i = 0; i < codebookCount; i++)
        {
            long at = r.FileOffset;
            int size = (int)r.ReadVarUInt($"codebook #{i} size", 1, KnotFormat.MaxCodebookSize);
            if (4L * size > r.Remaining)
                throw new InvalidDataException($"{source}: codebook #{i} at byte {at} declares {size} entries ({4L * size} bytes) but the header has {r.Remaining} bytes left.");
            var entries = new float[size];
            for (int j = 0; j < size; j++)
            {
                entries[j] = r.ReadSingle($"codebook #{i} entry {j}");
                if (!float.IsFinite(entries[j])) throw new InvalidDataException($"{source}: codebook #{i} entry {j} (byte {r.FileOffset - 4}) is {entries[j]}.");
            }
            codebooks.Add(entries);
        }

        var tensors = new List<KnotTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long tensorCount = r.ReadVarUInt("tensor count", 0, r.Remaining);
        long expectedOffset = 0;
        for (long i = 0; i < tensorCount; i++)
        {
            var header = ReadTensorHeader(ref r, i, codebooks, source);
            if (!names.Add(header.Name)) throw new InvalidDataException($"{source}: tensor #{i} repeats the name '{header.Name}'.");
            if (header.PayloadOffset != expectedOffset)
                throw new InvalidDataException($"{source}: tensor #{i} '{header.Name}' starts at payload offset {header.PayloadOffset}, expected {expectedOffset} (payloads are stored back to back).");
            if (header.PayloadLength > (long)payloadLength - expectedOffset)
                throw new InvalidDataException($"{source}: tensor #{i} '{header.Name}' declares {header.PayloadLength} payload bytes at offset {expectedOffset}, but the payload has {(long)payloadLength - expectedOffset} bytes left.");
            var slice = payload.Slice((int)expectedOffset, (int)header.PayloadLength);
            string context = $"{source}: tensor #{i} '{header.Name}' payload (file bytes {payloadStart + expectedOffset}..{payloadStart + expectedOffset + header.PayloadLength})";
            tensors.Add(TensorCodec.Decode(header, slice, codebooks, context));
            expectedOffset += header.PayloadLength;
        }
        if (r.Remaining != 0)
            throw new InvalidDataException($"{source}: {r.Remaining} unexpected bytes at the end of the header (byte {r.FileOffset}).");
        if (expectedOffset != (long)payloadLength)
            throw new InvalidDataException($"{source}: tensors use {expectedOffset} payload bytes but the payload has {payloadLength}.");
        return new KnotFile(version, metadata, codebooks, tensors, data.Length);
    }

    private static TensorHeader ReadTensorHeader(ref HeaderReader r, long index, List<float[]> codebooks, string source)
    {
        string name = r.ReadString($"tensor #{index} name");
        if (name.Length == 0) throw r.Error($"tensor #{index} name", "empty");
        string what = $"tensor #{index} '{name}'";
        byte type = r.ReadByte(what + " element type");
        if (type > (byte)KnotElementType.Int32) throw r.Error(what + " element type", $"unknown value {type}");
        int rank = r.ReadByte(what + " rank");
        if (rank > KnotFormat.MaxRank) throw r.Error(what + " rank", $"{rank} exceeds {KnotFormat.MaxRank}");
        var dims = new int[rank];
        long size = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = (int)r.ReadVarUInt($"{what} dimension {d}", 0, int.MaxValue);
            size *= dims[d];
            if (size > Array.MaxLength) throw r.Error($"{what} shape", $"[{string.Join(", ", dims[..(d + 1)])}...] has more than {Array.MaxLength} elements");
        }
        byte positionsByte = r.ReadByte(what + " position coding");
        if (positionsByte > (byte)PositionCoding.HuffmanGaps) throw r.Error(what + " position coding", $"unknown value {positionsByte}");
        byte valuesByte = r.ReadByte(what + " value coding");
        if (valuesByte > (byte)ValueCoding.Float16) throw r.Error(what + " value coding", $"unknown value {valuesByte}");
        var positions = (PositionCoding)positionsByte;
        var values = (ValueCoding)valuesByte;
        var elementType = (KnotElementType)type;
        if ((elementType == KnotElementType.Int32) != (values == ValueCoding.PackedInt32) ||
            (values == ValueCoding.PackedInt32 && positions != PositionCoding.Dense))
            throw r.Error(what + " encoding", $"{elementType} tensors cannot use positions {positions} with values {values}");

        int gapBits = 0, entries = 0, codebookId = -1, codeBits = 0;
        long gapSymbols = 0, intMinimum = 0;
        if (positions != PositionCoding.Dense)
        {
            gapBits = r.ReadByte(what + " gap bits");
            if (gapBits < 1 || gapBits > KnotFormat.MaxGapBits) throw r.Error(what + " gap bits", $"{gapBits} is outside [1, {KnotFormat.MaxGapBits}]");
            entries = (int)r.ReadVarUInt(what + " entry count", 0, size);
            gapSymbols = r.ReadVarUInt(what + " gap symbol count", entries, long.MaxValue);
            if ((entries == 0) != (gapSymbols == 0)) throw r.Error(what + " gap symbol count", $"{gapSymbols} symbols for {entries} entries");
        }
        if (values is ValueCoding.Codes or ValueCoding.HuffmanCodes)
        {
            codebookId = (int)r.ReadVarUInt(what + " codebook id", 0, Math.Max(0, codebooks.Count - 1));
            if (codebooks.Count == 0) throw r.Error(what + " codebook id", "the file has no codebooks");
            if (values == ValueCoding.Codes)
            {
                codeBits = r.ReadByte(what + " code bits");
                int expected = KnotFormat.CodeBitsFor(codebooks[codebookId].Length);
                if (codeBits != expected) throw r.Error(what + " code bits", $"{codeBits} bits for a codebook of {codebooks[codebookId].Length} entries, expected {expected}");
            }
        }
        if (values == ValueCoding.PackedInt32)
        {
            codeBits = r.ReadByte(what + " integer bits");
            if (codeBits < 1 || codeBits > 32) throw r.Error(what + " integer bits", $"{codeBits} is outside [1, 32]");
            intMinimum = r.ReadVarInt(what + " integer minimum");
            if (intMinimum < int.MinValue || intMinimum > int.MaxValue) throw r.Error(what + " integer minimum", $"{intMinimum} is outside the int32 range");
        }
        long offset = r.ReadVarUInt(what + " payload offset", 0, long.MaxValue);
        long length = r.ReadVarUInt(what + " payload length", 0, int.MaxValue);
        var encoding = new TensorEncoding(positions, values, gapBits, codeBits);
        return new TensorHeader(name, elementType, new Shape(dims), encoding, entries, gapSymbols, codebookId, intMinimum, offset, length);
    }
}
