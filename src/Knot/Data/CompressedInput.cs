using System.IO.Compression;

namespace Knot.Data;

/// <summary>
/// Opens a data file that may be gzip-compressed. Compression is recognised by the gzip magic bytes
/// (0x1F 0x8B), not by the file name, so a renamed or mislabelled file still reads correctly.
/// </summary>
internal static class CompressedInput
{
    // A deflate stream cannot expand by more than about 1032:1 (a 258-byte match coded in 2 bits), so a file that
    // declares more than this many bytes per compressed byte is lying; we refuse it before allocating anything.
    internal const long MaxDeflateRatio = 1032;

    public static bool IsGzip(string path)
    {
        using var file = OpenRaw(path);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    }

    /// <summary>Opens the file for sequential reading, translating "not found" into a message that names the path.</summary>
    public static FileStream OpenRaw(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"Data file not found: '{Path.GetFullPath(path)}'.", path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"Data file not found (its directory does not exist): '{Path.GetFullPath(path)}'.", path, e);
        }
    }

    /// <summary>A read stream over the decompressed contents (or the file itself when it is not gzip).</summary>
    public static Stream Open(string path, out bool gzip, out long fileLength)
    {
        gzip = IsGzip(path);
        var file = OpenRaw(path);
        fileLength = file.Length;
        return gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
    }

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes. Returns how many were read before the stream ended.
    /// Gzip corruption surfaces as an InvalidDataException naming the file.
    /// </summary>
    public static int ReadFully(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes, growing the buffer only as data actually arrives. A compressed
    /// header can claim any size; growing in step with real data means a lying header costs at most what the
    /// stream really holds, never the claimed size up front.
    /// </summary>
    /// <param name="lengthVerified">The length was already checked against the file size (raw files): allocate it at once.</param>
    public static byte[] ReadDeclared(Stream stream, long length, string path, bool lengthVerified, Func<long, Exception> shortRead)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength);
        int total = (int)length;
        var buffer = new byte[lengthVerified ? total : Math.Min(total, 1 << 20)];
        int filled = 0;
        while (filled < total)
        {
            if (filled == buffer.Length)
            {
                int grown = (int)Math.Min(total, Math.Max(2L * buffer.Length, 1));
                Array.Resize(ref buffer, grown);
            }
            int n = ReadFully(stream, buffer.AsSpan(filled, buffer.Length - filled), path);
            filled += n;
            if (filled < buffer.Length) throw shortRead(filled);
        }
        return buffer;
    }

    /// <summary>Fails when anything follows the declared payload (extra bytes, or a second gzip member with data).</summary>
    public static void EnsureEnd(Stream stream, string path, long expected)
    {
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(stream, probe, path) != 0)
            throw new InvalidDataException($"{path}: has data after the {expected} bytes its header declares (trailing bytes).");
    }

    /// <summary>
    /// Checks the gzip trailer's ISIZE (uncompressed size mod 2^32, the file's last 4 bytes, little-endian).
    /// .NET checks CRC and size when the trailer is there but says nothing when a cut removed it, so a file
    /// truncated inside its 8-byte trailer would otherwise read as valid. Assumes one gzip member, as every
    /// dataset mirror ships.
    /// </summary>
    public static void EnsureGzipTrailer(string path, long decompressedBytes)
    {
        using var file = OpenRaw(path);
        Span<byte> trailer = stackalloc byte[4];
        uint isize = 0;
        bool present = file.Length >= 18 + 4; // 10-byte header + empty deflate + CRC32 + ISIZE, at the least
        if (present)
        {
            file.Seek(-4, SeekOrigin.End);
            present = file.ReadAtLeast(trailer, 4, throwOnEndOfStream: false) == 4;
            isize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        }
        if (!present || isize != (uint)decompressedBytes)
            throw new InvalidDataException(
                $"{path}: gzip trailer is missing or damaged (size field {isize}, expected {(uint)decompressedBytes}); the file is truncated or corrupt.");
    }
}
