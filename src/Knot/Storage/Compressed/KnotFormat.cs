namespace Knot.Storage.Compressed;

/// <summary>
/// Constants of the .knot container (see docs/knot-format.md). Layout, all little-endian:
/// <code>
/// "KNOT" | u16 version | u16 flags (0) | u32 header length H | u64 payload length P | header (H) | payload (P) | u32 CRC-32
/// </code>
/// The CRC covers every byte before it. The file length must be exactly 20 + H + P + 4.
/// Flag bit 0 (<see cref="CompressedMetadataFlag"/>): the header's metadata block is stored Deflate-compressed as
/// varint raw length, varint compressed length, compressed bytes. No other flag is defined.
/// </summary>
public static class KnotFormat
{
    public const ushort Version = 1;
    public const int PreambleSize = 20;
    public const int CrcSize = 4;
    public const int MaxRank = 16;
    public const int MaxGapBits = 16;
    public const int MaxCodebookSize = 1 << 16;

    /// <summary>Flag bit: the metadata block is Deflate-compressed (added within version 1; files without it are unchanged).</summary>
    public const ushort CompressedMetadataFlag = 0x0001;

    /// <summary>Largest decompressed metadata block a reader accepts (a guard against decompression bombs).</summary>
    public const int MaxMetadataBytes = 16 << 20;

    /// <summary>The four magic bytes "KNOT".</summary>
    public static ReadOnlySpan<byte> Magic => "KNOT"u8;

    /// <summary>Bits of a fixed-width code for a codebook of <paramref name="size"/> entries: ⌈log2 size⌉, at least 1.</summary>
    public static int CodeBitsFor(int size)
    {
        if (size < 1 || size > MaxCodebookSize) throw new ArgumentOutOfRangeException(nameof(size), size, $"Codebook size must be in [1, {MaxCodebookSize}].");
        int bits = 1;
        while ((1 << bits) < size) bits++;
        return bits;
    }
}
