using Knot.Storage.Common;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Knot.Storage.Checkpoints;

/// <summary>Encodes a <see cref="Checkpoint"/>; the layout (and every argument check) is computed before any byte is written.</summary>
internal static class CheckpointWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal sealed record TensorEntry(byte[] Name, StoredTensor Tensor, long Offset);

    internal sealed record BlobEntry(byte[] Name, byte[] Bytes, long Offset);

    internal sealed record Layout(
        List<(byte[] Key, byte[] Value)> Metadata, List<TensorEntry> Tensors, List<BlobEntry> Blobs,
        long DirectoryLength, long FileLength);

    public static Layout Plan(Checkpoint checkpoint)
    {
        long dir = 0;
        var metadata = new List<(byte[], byte[])>(checkpoint.Metadata.Count);
        foreach (var key in checkpoint.Metadata.Keys.Order(StringComparer.Ordinal))
        {
            Checkpoint.CheckName(key, nameof(checkpoint));
            byte[] k = Encode(key, "metadata key", CheckpointFormat.MaxNameBytes);
            byte[] v = Encode(checkpoint.Metadata[key] ?? throw new ArgumentException($"Metadata '{key}' is null.", nameof(checkpoint)), $"metadata '{key}'", int.MaxValue);
            metadata.Add((k, v));
            dir += 8 + k.Length + v.Length;
        }

        var tensorNames = new List<byte[]>(checkpoint.Tensors.Count);
        foreach (var (name, t) in checkpoint.Tensors)
        {
            Checkpoint.CheckName(name, nameof(checkpoint));
            if (t is null) throw new ArgumentException($"Tensor '{name}' is null.", nameof(checkpoint));
            if (t.Shape.Length > CheckpointFormat.MaxRank)
                throw new ArgumentException($"Tensor '{name}' has rank {t.Shape.Length}; checkpoints allow at most {CheckpointFormat.MaxRank}.", nameof(checkpoint));
            // StoredTensor validated shape vs data at construction, but its arrays are mutable: check again.
            if (StoredTensor.ElementCount(t.Shape, nameof(checkpoint)) != t.Data.Length)
                throw new ArgumentException($"Tensor '{name}' has shape {t.ShapeText} but {t.Data.Length} values.", nameof(checkpoint));
            byte[] n = Encode(name, "tensor name", CheckpointFormat.MaxNameBytes);
            tensorNames.Add(n);
            dir += 4 + n.Length + 4 + (4L * t.Shape.Length) + 16;
        }

        var blobNames = new List<byte[]>(checkpoint.Blobs.Count);
        foreach (var (name, b) in checkpoint.Blobs)
        {
            Checkpoint.CheckName(name, nameof(checkpoint));
            if (b is null) throw new ArgumentException($"Blob '{name}' is null.", nameof(checkpoint));
            byte[] n = Encode(name, "blob name", CheckpointFormat.MaxNameBytes);
            blobNames.Add(n);
            dir += 4 + n.Length + 16;
        }

        long cursor = CheckpointFormat.HeaderSize + dir;
        long end = cursor;
        var tensors = new List<TensorEntry>(tensorNames.Count);
        int i = 0;
        foreach (var (_, t) in checkpoint.Tensors)
        {
            cursor = CheckpointFormat.Align(cursor);
            tensors.Add(new TensorEntry(tensorNames[i++], t, cursor));
            cursor += 4L * t.Data.Length;
            end = cursor;
        }
        var blobs = new List<BlobEntry>(blobNames.Count);
        i = 0;
        foreach (var (_, b) in checkpoint.Blobs)
        {
            cursor = CheckpointFormat.Align(cursor);
            blobs.Add(new BlobEntry(blobNames[i++], b, cursor));
            cursor += b.Length;
            end = cursor;
        }
        return new Layout(metadata, tensors, blobs, dir, end + CheckpointFormat.TrailerSize);
    }

    public static void WriteTo(Stream stream, Layout plan)
    {
        var w = new CrcWriter(stream);
        Span<byte> header = stackalloc byte[CheckpointFormat.HeaderSize];
        header.Clear();
        CheckpointFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], CheckpointFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], plan.FileLength);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], plan.DirectoryLength);
        BinaryPrimitives.WriteInt32LittleEndian(header[32..], plan.Metadata.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[36..], plan.Tensors.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], plan.Blobs.Count);
        w.Write(header);

        foreach (var (k, v) in plan.Metadata)
        {
            w.WriteString(k);
            w.WriteString(v);
        }
        foreach (var t in plan.Tensors)
        {
            w.WriteString(t.Name);
            w.WriteU32((uint)t.Tensor.Shape.Length);
            foreach (int d in t.Tensor.Shape) w.WriteU32((uint)d);
            w.WriteU64((ulong)t.Offset);
            w.WriteU64((ulong)t.Tensor.Data.Length);
        }
        foreach (var b in plan.Blobs)
        {
            w.WriteString(b.Name);
            w.WriteU64((ulong)b.Offset);
            w.WriteU64((ulong)b.Bytes.Length);
        }

        foreach (var t in plan.Tensors)
        {
            w.PadTo(t.Offset);
            w.WriteFloats(t.Tensor.Data);
        }
        foreach (var b in plan.Blobs)
        {
            w.PadTo(b.Offset);
            w.Write(b.Bytes);
        }
        if (w.Position != plan.FileLength - CheckpointFormat.TrailerSize)
            throw new InvalidOperationException($"Checkpoint writer bug: wrote {w.Position} bytes, planned {plan.FileLength - CheckpointFormat.TrailerSize}.");
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, w.Crc);
        stream.Write(trailer);
    }

    private static byte[] Encode(string s, string what, int maxBytes)
    {
        byte[] bytes;
        try
        {
            bytes = Utf8.GetBytes(s);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The {what} '{s}' is not valid Unicode (unpaired surrogate).", e);
        }
        if (bytes.Length > maxBytes)
            throw new ArgumentException($"The {what} is {bytes.Length} UTF-8 bytes; the limit is {maxBytes}.");
        return bytes;
    }

    /// <summary>Writes through to the stream while keeping the running CRC and position.</summary>
    private sealed class CrcWriter(Stream stream)
    {
        private readonly byte[] _scratch = new byte[1 << 16];

        public uint Crc { get; private set; }
        public long Position { get; private set; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            Crc = Crc32.Append(Crc, bytes);
            Position += bytes.Length;
        }

        public void WriteU32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            Write(b);
        }

        public void WriteU64(ulong v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            Write(b);
        }

        public void WriteString(byte[] utf8)
        {
            WriteU32((uint)utf8.Length);
            Write(utf8);
        }

        public void PadTo(long offset)
        {
            int n = checked((int)(offset - Position));
            Span<byte> zeros = stackalloc byte[CheckpointFormat.Alignment];
            zeros.Clear();
            Write(zeros[..n]);
        }

        public void WriteFloats(float[] data)
        {
            if (BitConverter.IsLittleEndian)
            {
                Write(MemoryMarshal.AsBytes(data.AsSpan()));
                return;
            }
            // Big-endian host: swap through a scratch buffer so the file is always little-endian.
            var ints = MemoryMarshal.Cast<float, int>(data.AsSpan());
            var dst = MemoryMarshal.Cast<byte, int>(_scratch.AsSpan());
            while (!ints.IsEmpty)
            {
                int n = Math.Min(ints.Length, dst.Length);
                BinaryPrimitives.ReverseEndianness(ints[..n], dst[..n]);
                Write(_scratch.AsSpan(0, n * 4));
                ints = ints[n..];
            }
        }
    }
}
