using System.Buffers.Binary;

namespace Knot.Data;

/// <summary>
/// Reader for the IDX format used by MNIST and its relatives: two zero bytes, an element-type byte, a rank byte,
/// then one big-endian 32-bit size per dimension and the values. Raw and gzip files are both accepted (detected
/// by magic bytes). Every size is checked against the file before the payload is allocated.
/// </summary>
public static class IdxFile
{
    /// <summary>Unsigned byte, the only element type images and labels need.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>The largest rank we accept; real IDX files have 1 to 4 dimensions.</summary>
    public const int MaxRank = 8;

    /// <summary>Default ceiling on the payload (1 GiB): far above any IDX dataset, far below what breaks a process.</summary>
    public const long DefaultMaxPayloadBytes = 1L << 30;

    /// <summary>Reads an unsigned-byte IDX file (raw or gzip).</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPayloadBytes">Refuse files whose header declares more payload than this.</param>
    public static IdxArray Read(string path, long maxPayloadBytes = DefaultMaxPayloadBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (maxPayloadBytes < 0 || maxPayloadBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxPayloadBytes), maxPayloadBytes, $"must be in [0, {Array.MaxLength}]");

        using var stream = CompressedInput.Open(path, out bool gzip, out long fileLength);
        string what = gzip ? " (decompressed)" : "";

        Span<byte> magic = stackalloc byte[4];
        int got = CompressedInput.ReadFully(stream, magic, path);
        if (got < 4)
            throw new InvalidDataException($"{path}: too short for an IDX header: expected at least 4 bytes{what}, found {got}.");
        if (magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException(
                $"{path}: not an IDX file: magic bytes are {Hex(magic)}, expected 0x00 0x00 <type> <rank>.");
        if (magic[2] != UnsignedByteType)
            throw new InvalidDataException(
                $"{path}: IDX element type 0x{magic[2]:X2} ({TypeName(magic[2])}) is not supported; expected 0x08 (unsigned byte).");
        int rank = magic[3];
        if (rank < 1 || rank > MaxRank)
            throw new InvalidDataException($"{path}: IDX rank {rank} is not supported; expected 1 to {MaxRank}.");

        int headerBytes = 4 + 4 * rank;
        Span<byte> dimBytes = stackalloc byte[4 * MaxRank];
        dimBytes = dimBytes[..(4 * rank)];
        got = CompressedInput.ReadFully(stream, dimBytes, path);
        if (got < dimBytes.Length)
            throw new InvalidDataException(
                $"{path}: IDX header truncated: expected {headerBytes} header bytes{what} for rank {rank}, found {4 + got}.");

        var dims = new int[rank];
        long payload = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.Slice(4 * i, 4));
            if (d > int.MaxValue)
                throw new InvalidDataException($"{path}: IDX dimension {i} is {d}, larger than {int.MaxValue}.");
            dims[i] = (int)d;
            // Saturate instead of overflowing: anything past the limit is refused below anyway.
            payload = payload > maxPayloadBytes ? payload : payload * d;
        }
        string dimsText = FormatDims(dims);
        long expectedTotal = headerBytes + payload;

        if (payload > maxPayloadBytes)
            throw new InvalidDataException(
                $"{path}: IDX header declares {dimsText} (at least {payload} bytes), more than the limit of {maxPayloadBytes} bytes.");

        if (!gzip)
        {
            if (fileLength != expectedTotal)
                throw new InvalidDataException($"{path}: expected {expectedTotal} bytes for {dimsText}, found {fileLength}.");
        }
        else if (payload > CompressedInput.MaxDeflateRatio * fileLength + 1024)
        {
            throw new InvalidDataException(
                $"{path}: IDX header declares {dimsText} ({expectedTotal} bytes), but a {fileLength}-byte gzip file cannot expand that far (decompression bomb or corrupt header).");
        }

        byte[] data = CompressedInput.ReadDeclared(stream, payload, path, lengthVerified: !gzip, filled =>
            new InvalidDataException($"{path}: expected {expectedTotal} bytes{what} for {dimsText}, found {headerBytes + filled}."));
        CompressedInput.EnsureEnd(stream, path, expectedTotal);
        if (gzip) CompressedInput.EnsureGzipTrailer(path, expectedTotal);
        return new IdxArray(dims, data);
    }

    internal static string FormatDims(ReadOnlySpan<int> dims)
    {
        if (dims.Length == 0) return "scalar";
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString();
        return string.Join("x", parts);
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var parts = new string[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) parts[i] = $"0x{bytes[i]:X2}";
        return string.Join(" ", parts);
    }

    private static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };
}
