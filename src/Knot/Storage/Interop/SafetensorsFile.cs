using Knot.Storage.Common;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors): u64 little-endian header length N, N bytes
/// of UTF-8 JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}), then the
/// raw little-endian data, offsets relative to its start. The reader accepts F32, F16, BF16, F64 (converted to
/// float32) and integer/bool dtypes (per <see cref="IntegerTensorHandling"/>), and like the reference implementation
/// requires the tensors to tile the data region exactly (no overlap, no gaps). The writer writes F32, atomically.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>The reference implementation's limit on the JSON header.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<string, TorchDtype> Dtypes = new(StringComparer.Ordinal)
    {
        ["F32"] = TorchDtype.Float32,
        ["F64"] = TorchDtype.Float64,
        ["F16"] = TorchDtype.Float16,
        ["BF16"] = TorchDtype.BFloat16,
        ["I64"] = TorchDtype.Int64,
        ["I32"] = TorchDtype.Int32,
        ["I16"] = TorchDtype.Int16,
        ["I8"] = TorchDtype.Int8,
        ["U8"] = TorchDtype.UInt8,
        ["BOOL"] = TorchDtype.Bool,
    };

    private sealed record Entry(string Name, TorchDtype Dtype, int[] Shape, long Count, long Begin, long End);

    public static ImportedWeights Read(string path, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, Path.GetFileName(path), integers);
    }

    /// <summary>Reads from the stream's position to its end (the stream must be seekable to know its length).</summary>
    public static ImportedWeights Read(Stream stream, string sourceName, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!Enum.IsDefined(integers)) throw new ArgumentOutOfRangeException(nameof(integers), integers, "Unknown integer tensor handling.");
        if (!stream.CanSeek) throw new ArgumentException("The safetensors reader needs a seekable stream (it checks the length first).", nameof(stream));
        string source = sourceName;
        long fileLength = stream.Length - stream.Position;

        Span<byte> head = stackalloc byte[8];
        if (fileLength < 8)
        {
            int n = stream.ReadAtLeast(head, 8, throwOnEndOfStream: false);
            throw Bad(source, $"the file is {n} bytes, too short for the 8-byte safetensors header length");
        }
        stream.ReadExactly(head);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes)
        {
            string looks = "";
            Span<byte> sniff = stackalloc byte[WeightFileFormats.SniffLength];
            head.CopyTo(sniff);
            int more = stream.ReadAtLeast(sniff[8..], 8, throwOnEndOfStream: false);
            var format = WeightFileFormats.Detect(sniff[..(8 + more)], fileLength);
            if (format is not (WeightFileFormat.Unknown or WeightFileFormat.Safetensors)) looks = $"; it looks like {WeightFileFormats.Describe(format)}";
            throw Bad(source, $"the header length field says {headerLength} bytes but the file has {fileLength - 8} after it (limit {MaxHeaderBytes}){looks}");
        }
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataLength = fileLength - 8 - (long)headerLength;

        var result = new ImportedWeights(source);
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw Bad(source, "the JSON header is not valid UTF-8");
        List<Entry> entries;
        try
        {
            entries = ParseHeader(headerBytes, dataLength, source, result.Metadata);
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument decodes escapes lazily: an escaped lone surrogate ("\uD800") only fails here.
            throw Bad(source, $"the JSON header has a string that is not valid Unicode ({e.Message})");
        }

        // The tensors must tile [0, dataLength) exactly.
        var order = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expectedBegin = 0;
        foreach (var e in order)
        {
            if (e.Begin < expectedBegin)
                throw Bad(source, $"tensor '{e.Name}' (data bytes {e.Begin}..{e.End}) overlaps the tensor before it, which ends at {expectedBegin}");
            if (e.Begin > expectedBegin)
                throw Bad(source, $"data bytes {expectedBegin}..{e.Begin} belong to no tensor (the next is '{e.Name}')");
            expectedBegin = e.End;
        }
        if (expectedBegin != dataLength)
            throw Bad(source, $"the tensors cover {expectedBegin} data bytes but the file has {dataLength} after the header");

        var data = new Dictionary<string, float[]>(StringComparer.Ordinal);
        byte[]? scratch = null;
        foreach (var e in order)
        {
            if (TorchElementConverter.IsInteger(e.Dtype) && integers == IntegerTensorHandling.Skip)
            {
                stream.Seek(e.End - e.Begin, SeekOrigin.Current);
                continue;
            }
            var values = new float[e.Count];
            int bytes = (int)(e.End - e.Begin);
            if (e.Dtype == TorchDtype.Float32 && BitConverter.IsLittleEndian)
                ReadFully(stream, MemoryMarshal.AsBytes(values.AsSpan()), source, e.Name);
            else
            {
                if (scratch is null || scratch.Length < bytes) scratch = new byte[Math.Max(bytes, 4096)];
                ReadFully(stream, scratch.AsSpan(0, bytes), source, e.Name);
                TorchElementConverter.ConvertRun(scratch.AsSpan(0, bytes), e.Dtype, bigEndian: false, values,
                    v => Bad(source, $"tensor '{e.Name}' ({TorchElementConverter.TorchName(e.Dtype)}) holds {v}, which float32 cannot represent exactly; import with IntegerTensorHandling.Skip to leave it out"));
            }
            data[e.Name] = values;
        }

        foreach (var e in entries)
        {
            if (!data.TryGetValue(e.Name, out var values))
            {
                result.SkippedIntegerTensors.Add(e.Name);
                continue;
            }
            result.Tensors.Add(e.Name, new StoredTensor(e.Shape, values));
            result.SourceDtypes[e.Name] = TorchElementConverter.TorchName(e.Dtype);
        }
        return result;
    }

    /// <summary>Writes float32 tensors (in order) and optional string metadata, atomically.</summary>
    public static void Write(string path, OrderedDictionary<string, StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, s => WriteTo(s, header, tensors));
    }

    /// <summary>Writes to a stream (not atomic; the caller owns the stream).</summary>
    public static void Write(Stream stream, OrderedDictionary<string, StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteTo(stream, BuildHeader(tensors, metadata), tensors);
    }

    private static List<Entry> ParseHeader(byte[] headerBytes, long dataLength, string source, Dictionary<string, string> metadata)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Bad(source, $"the JSON header is malformed (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(source, $"the JSON header is a {doc.RootElement.ValueKind}, expected an object");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(p.Name)) throw Bad(source, $"the header lists '{p.Name}' twice");
                if (p.Name == MetadataKey)
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Bad(source, "__metadata__ must be an object of strings");
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(source, $"__metadata__ value '{m.Name}' is a {m.Value.ValueKind}, expected a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(p, dataLength, source));
            }
            return entries;
        }
    }

    private static Entry ParseEntry(JsonProperty p, long dataLength, string source)
    {
        string name = p.Name;
        if (name.Length == 0) throw Bad(source, "a tensor has an empty name");
        if (p.Value.ValueKind != JsonValueKind.Object) throw Bad(source, $"tensor '{name}' is a {p.Value.ValueKind} in the header, expected an object");
        if (!p.Value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(source, $"tensor '{name}' has no string 'dtype'");
        string dtypeText = dtypeElement.GetString()!;
        if (!Dtypes.TryGetValue(dtypeText, out var dtype))
            throw Bad(source, $"tensor '{name}' has dtype '{dtypeText}'; Knot reads {string.Join(", ", Dtypes.Keys)}");
        if (!p.Value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"tensor '{name}' has no 'shape' array");
        if (shapeElement.GetArrayLength() > CheckpointFormat.MaxRank)
            throw Bad(source, $"tensor '{name}' has rank {shapeElement.GetArrayLength()}; the limit is {CheckpointFormat.MaxRank}");
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int axis = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw Bad(source, $"tensor '{name}' has shape entry {d} on axis {axis}, expected a non-negative 32-bit integer");
            shape[axis++] = dim;
            count *= dim;
            if (count > Array.MaxLength) throw Bad(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}...], more elements than a .NET array can hold");
        }
        if (!p.Value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(source, $"tensor '{name}' has no 'data_offsets' [begin, end] pair");
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad(source, $"tensor '{name}' has data_offsets {offsets}, expected 0 <= begin <= end");
        if (end > dataLength)
            throw Bad(source, $"tensor '{name}' declares data bytes {begin}..{end} but the file has {dataLength} data bytes after the header");
        long needed = count * TorchElementConverter.SizeOf(dtype);
        if (end - begin != needed)
            throw Bad(source, $"tensor '{name}' is {dtypeText} with shape [{string.Join(", ", shape)}], which needs {needed} bytes, but its data_offsets span {end - begin}");
        return new Entry(name, dtype, shape, count, begin, end);
    }

    private static byte[] BuildHeader(OrderedDictionary<string, StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(v, nameof(metadata));
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (string.IsNullOrEmpty(name) || name == MetadataKey)
                    throw new ArgumentException($"'{name}' cannot be a safetensors tensor name.", nameof(tensors));
                ArgumentNullException.ThrowIfNull(t, nameof(tensors));
                if (StoredTensor.ElementCount(t.Shape, nameof(tensors)) != t.Data.Length)
                    throw new ArgumentException($"Tensor '{name}' has shape {t.ShapeText} but {t.Data.Length} values.", nameof(tensors));
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + (4L * t.Data.Length));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += 4L * t.Data.Length;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        int pad = (int)((8 - (buffer.Length % 8)) % 8);
        for (int i = 0; i < pad; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteTo(Stream stream, byte[] header, OrderedDictionary<string, StoredTensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        byte[]? swap = BitConverter.IsLittleEndian ? null : new byte[4];
        foreach (var (_, t) in tensors)
        {
            if (swap is null)
            {
                stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
                continue;
            }
            foreach (float v in t.Data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(swap, v);
                stream.Write(swap);
            }
        }
        stream.Flush();
    }

    private static void ReadFully(Stream stream, Span<byte> destination, string source, string name)
    {
        int n = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (n < destination.Length) throw Bad(source, $"the file ended while reading tensor '{name}' (it shrank while being read?)");
    }

    private static InvalidDataException Bad(string source, string message) => new($"{source}: {message}.");
}
