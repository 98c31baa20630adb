using Knot.Storage.Common;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Knot.Storage.Interop;

namespace Knot.Storage.Checkpoints;

/// <summary>
/// Decodes a checkpoint in one forward pass: header and directory are checked against the file length before
/// any tensor array is allocated, then the payloads are read straight into their arrays while the CRC runs.
/// </summary>
internal static class CheckpointReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private sealed record TensorEntry(string Name, int[] Shape, long Offset, long Count);

    private sealed record BlobEntry(string Name, long Offset, long Length);

    public static Checkpoint Read(Stream stream, long fileLength, string source)
    {
        var r = new CrcReader(stream, source);
        int headLength = (int)Math.Min(fileLength, CheckpointFormat.HeaderSize);
        Span<byte> header = stackalloc byte[CheckpointFormat.HeaderSize];
        r.Read(header[..headLength], "the header");

        if (!header[..headLength].StartsWith(CheckpointFormat.Magic))
            throw NotACheckpoint(source, header[..headLength], fileLength);
        if (fileLength < CheckpointFormat.HeaderSize + CheckpointFormat.TrailerSize)
            throw Bad(source, $"the file is {fileLength} bytes, shorter than the {CheckpointFormat.HeaderSize}-byte header plus {CheckpointFormat.TrailerSize}-byte checksum (truncated)");

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != CheckpointFormat.Version)
            throw Bad(source, version > CheckpointFormat.Version
                ? $"checkpoint format version {version} was written by a newer Knot; this build reads version {CheckpointFormat.Version}"
                : $"checkpoint format version {version} is not supported; this build reads version {CheckpointFormat.Version}");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (flags != 0) throw Bad(source, $"header flags are 0x{flags:X8} at offset 12; version {version} defines none (expected 0)");
        ulong declaredLength = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
        if (declaredLength != (ulong)fileLength)
            throw Bad(source, declaredLength > (ulong)fileLength
                ? $"the header says the file is {declaredLength} bytes but it has {fileLength} (truncated)"
                : $"the header says the file is {declaredLength} bytes but it has {fileLength} (extra bytes appended, or a corrupt header)");
        ulong directoryLength = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        long maxDirectory = fileLength - CheckpointFormat.HeaderSize - CheckpointFormat.TrailerSize;
        if (directoryLength > (ulong)maxDirectory || directoryLength > (ulong)Array.MaxLength)
            throw Bad(source, $"the header declares a {directoryLength}-byte directory at offset {CheckpointFormat.HeaderSize} but the file has room for at most {maxDirectory}");
        uint metadataCount = BinaryPrimitives.ReadUInt32LittleEndian(header[32..]);
        uint tensorCount = BinaryPrimitives.ReadUInt32LittleEndian(header[36..]);
        uint blobCount = BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
        uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
        if (reserved != 0) throw Bad(source, $"the reserved header field at offset 44 is 0x{reserved:X8} (expected 0)");
        ulong minDirectory = ((ulong)metadataCount * CheckpointFormat.MinMetadataEntryBytes)
            + ((ulong)tensorCount * CheckpointFormat.MinTensorEntryBytes) + ((ulong)blobCount * CheckpointFormat.MinBlobEntryBytes);
        if (minDirectory > directoryLength)
            throw Bad(source, $"the header declares {metadataCount} metadata entries, {tensorCount} tensors and {blobCount} blobs, which need at least {minDirectory} directory bytes, but the directory is {directoryLength} bytes");

        var directory = new byte[directoryLength];
        r.Read(directory, "the directory");
        long dataStart = CheckpointFormat.HeaderSize + (long)directoryLength;
        long dataEnd = fileLength - CheckpointFormat.TrailerSize;
        var cursor = new DirectoryCursor(directory, CheckpointFormat.HeaderSize, source);

        var checkpoint = new Checkpoint();
        for (uint i = 0; i < metadataCount; i++)
        {
            string key = cursor.ReadString($"the key of metadata entry {i}");
            string value = cursor.ReadString($"the value of metadata '{key}'");
            if (key.Length == 0) throw Bad(source, $"metadata entry {i} has an empty key");
            if (!checkpoint.Metadata.TryAdd(key, value)) throw Bad(source, $"metadata key '{key}' appears twice");
        }

        var tensors = new List<TensorEntry>((int)Math.Min(tensorCount, 1024));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (uint i = 0; i < tensorCount; i++)
        {
            string name = cursor.ReadString($"the name of tensor {i}");
            if (name.Length == 0) throw Bad(source, $"tensor {i} has an empty name");
            if (!names.Add(name)) throw Bad(source, $"tensor name '{name}' appears twice");
            uint rank = cursor.ReadU32($"the rank of tensor '{name}'");
            if (rank > CheckpointFormat.MaxRank) throw Bad(source, $"tensor '{name}' declares rank {rank}; the limit is {CheckpointFormat.MaxRank}");
            var shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                int dim = cursor.ReadI32($"dimension {d} of tensor '{name}'");
                if (dim < 0) throw Bad(source, $"tensor '{name}' has negative dimension {dim} on axis {d}");
                shape[d] = dim;
            }
            long product = SaturatingProduct(shape);
            ulong offset = cursor.ReadU64($"the data offset of tensor '{name}'");
            ulong count = cursor.ReadU64($"the element count of tensor '{name}'");
            if (count > (ulong)Array.MaxLength)
                throw Bad(source, $"tensor '{name}' declares {count} floats, more than a .NET array can hold");
            if ((long)count != product)
                throw Bad(source, $"tensor '{name}' declares {count} floats but its shape ({string.Join(", ", shape)}) has {(product > Array.MaxLength ? "more than " + Array.MaxLength : product.ToString())}");
            CheckRange(source, $"tensor '{name}' declares {count} floats", offset, count * 4, dataStart, dataEnd, fileLength);
            tensors.Add(new TensorEntry(name, shape, (long)offset, (long)count));
        }

        var blobs = new List<BlobEntry>((int)Math.Min(blobCount, 1024));
        names.Clear();
        for (uint i = 0; i < blobCount; i++)
        {
            string name = cursor.ReadString($"the name of blob {i}");
            if (name.Length == 0) throw Bad(source, $"blob {i} has an empty name");
            if (!names.Add(name)) throw Bad(source, $"blob name '{name}' appears twice");
            ulong offset = cursor.ReadU64($"the data offset of blob '{name}'");
            ulong length = cursor.ReadU64($"the length of blob '{name}'");
            if (length > (ulong)Array.MaxLength) throw Bad(source, $"blob '{name}' declares {length} bytes, more than a .NET array can hold");
            CheckRange(source, $"blob '{name}' declares {length} bytes", offset, length, dataStart, dataEnd, fileLength);
            blobs.Add(new BlobEntry(name, (long)offset, (long)length));
        }
        if (cursor.Remaining != 0)
            throw Bad(source, $"the directory has {cursor.Remaining} unused bytes at offset {cursor.AbsolutePosition} after its last entry (its declared length does not match its entries)");

        // Payloads in file order; overlapping ranges mean a corrupt directory.
        var order = new List<(long Offset, long Length, int Index)>(tensors.Count + blobs.Count);
        for (int i = 0; i < tensors.Count; i++) order.Add((tensors[i].Offset, tensors[i].Count * 4, i));
        for (int i = 0; i < blobs.Count; i++) order.Add((blobs[i].Offset, blobs[i].Length, ~i));
        order.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Length.CompareTo(b.Length));
        for (int i = 1; i < order.Count; i++)
        {
            var prev = order[i - 1];
            if (prev.Offset + prev.Length > order[i].Offset)
                throw Bad(source, $"{Describe(prev.Index, tensors, blobs)} (bytes {prev.Offset}..{prev.Offset + prev.Length}) overlaps {Describe(order[i].Index, tensors, blobs)} at offset {order[i].Offset}");
        }

        var tensorData = new float[tensors.Count][];
        var blobData = new byte[blobs.Count][];
        foreach (var (offset, length, index) in order)
        {
            r.SkipTo(offset);
            if (index >= 0)
            {
                var data = new float[tensors[index].Count];
                r.Read(MemoryMarshal.AsBytes(data.AsSpan()), $"the data of tensor '{tensors[index].Name}'");
                if (!BitConverter.IsLittleEndian)
                {
                    var ints = MemoryMarshal.Cast<float, int>(data.AsSpan());
                    BinaryPrimitives.ReverseEndianness(ints, ints);
                }
                tensorData[index] = data;
            }
            else
            {
                var bytes = new byte[length];
                r.Read(bytes, $"the data of blob '{blobs[~index].Name}'");
                blobData[~index] = bytes;
            }
        }
        r.SkipTo(dataEnd);
        uint computed = r.Crc;
        Span<byte> trailer = stackalloc byte[4];
        r.Read(trailer, "the checksum");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (stored != computed)
            throw Bad(source, $"CRC-32 mismatch: the file stores 0x{stored:X8} at offset {dataEnd} but its contents hash to 0x{computed:X8} (the file is corrupt)");

        for (int i = 0; i < tensors.Count; i++)
            checkpoint.Tensors.Add(tensors[i].Name, new StoredTensor(tensors[i].Shape, tensorData[i]));
        for (int i = 0; i < blobs.Count; i++)
            checkpoint.Blobs.Add(blobs[i].Name, blobData[i]);
        return checkpoint;
    }

    /// <summary>Product of non-negative dims, saturated just above <see cref="Array.MaxLength"/> (so it cannot overflow).</summary>
    private static long SaturatingProduct(int[] shape)
    {
        if (shape.Contains(0)) return 0;
        long product = 1;
        foreach (int d in shape)
        {
            product *= d;
            if (product > Array.MaxLength) return (long)Array.MaxLength + 1;
        }
        return product;
    }

    private static void CheckRange(string source, string what, ulong offset, ulong length, long dataStart, long dataEnd, long fileLength)
    {
        if (offset < (ulong)dataStart)
            throw Bad(source, $"{what} at offset {offset}, inside the header/directory (the data region starts at {dataStart})");
        if (offset > (ulong)dataEnd || length > (ulong)dataEnd - offset)
            throw Bad(source, $"{what} at offset {offset} but the file has {fileLength} bytes (its data region ends at {dataEnd})");
    }

    private static string Describe(int index, List<TensorEntry> tensors, List<BlobEntry> blobs) =>
        index >= 0 ? $"tensor '{tensors[index].Name}'" : $"blob '{blobs[~index].Name}'";

    internal static InvalidDataException Bad(string source, string message) => new($"{source}: {message}.");

    private static InvalidDataException NotACheckpoint(string source, ReadOnlySpan<byte> head, long fileLength)
    {
        if (fileLength == 0) return Bad(source, "the file is empty, not a Knot checkpoint");
        var format = WeightFileFormats.Detect(head, fileLength);
        string hex = Convert.ToHexString(head[..Math.Min(8, head.Length)]);
        return format == WeightFileFormat.Unknown
            ? Bad(source, $"not a Knot checkpoint: it starts with bytes {hex}, expected the magic 'KNOTCKPT'")
            : Bad(source, $"not a Knot checkpoint: it looks like {WeightFileFormats.Describe(format)}");
    }

    /// <summary>Bounds-checked little-endian reads over the in-memory directory.</summary>
    private ref struct DirectoryCursor(ReadOnlySpan<byte> buffer, long baseOffset, string source)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _pos;

        public readonly int Remaining => _buffer.Length - _pos;
        public readonly long AbsolutePosition => baseOffset + _pos;

        private ReadOnlySpan<byte> Take(int n, string what)
        {
            if (n > Remaining)
                throw Bad(source, $"{what} needs {n} bytes at offset {AbsolutePosition} but the directory ends at offset {baseOffset + _buffer.Length}");
            var s = _buffer.Slice(_pos, n);
            _pos += n;
            return s;
        }

        public uint ReadU32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
        public int ReadI32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));
        public ulong ReadU64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        public string ReadString(string what)
        {
            long at = AbsolutePosition;
            uint length = ReadU32(what);
            if (length > (uint)Remaining)
                throw Bad(source, $"{what} at offset {at} declares {length} bytes but only {Remaining} remain in the directory");
            var bytes = Take((int)length, what);
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Bad(source, $"{what} at offset {at} is not valid UTF-8");
            }
        }
    }

    /// <summary>Sequential reader that hashes every byte it passes, including skipped padding.</summary>
    private sealed class CrcReader(Stream stream, string source)
    {
        private byte[]? _scratch;

        public uint Crc { get; private set; }
        public long Position { get; private set; }

        public void Read(Span<byte> destination, string what)
        {
            int n = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (n < destination.Length)
                throw Bad(source, $"the file ended at offset {Position + n} while reading {what} (it shrank while being read?)");
            Crc = Crc32.Append(Crc, destination);
            Position += destination.Length;
        }

        public void SkipTo(long offset)
        {
            _scratch ??= new byte[1 << 14];
            while (Position < offset)
            {
                int n = (int)Math.Min(_scratch.Length, offset - Position);
                Read(_scratch.AsSpan(0, n), "padding");
            }
        }
    }
}
