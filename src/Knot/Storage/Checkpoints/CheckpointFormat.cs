namespace Knot.Storage.Checkpoints;

/// <summary>
/// Layout of a Knot checkpoint file, version 1. All integers little-endian; strings are a u32 byte length followed
/// by UTF-8 bytes. Offsets are absolute byte positions in the file.
/// <code>
/// header (48 bytes)
///    0  8  magic "KNOTCKPT"
///    8  4  u32 format version (1)
///   12  4  u32 flags (0; any other value is refused)
///   16  8  u64 file length in bytes, trailer included (catches truncation and appended junk up front)
///   24  8  u64 directory length in bytes
///   32  4  u32 metadata entry count
///   36  4  u32 tensor count
///   40  4  u32 blob count
///   44  4  u32 reserved (0)
/// directory (starts at 48)
///   metadata × count : string key, string value            (keys sorted ordinally, unique)
///   tensors  × count : string name, u32 rank, i32 dims[rank], u64 data offset, u64 element count
///   blobs    × count : string name, u64 data offset, u64 byte length
/// data region (48 + directory length .. file length − 4)
///   float32 tensor payloads, each 64-byte aligned (zero padding), then blob payloads, each 64-byte aligned
/// trailer
///   u32 CRC-32 (IEEE) of every byte before it
/// </code>
/// The 64-byte alignment lets a future reader map tensors straight from the file.
/// </summary>
internal static class CheckpointFormat
{
    public const uint Version = 1;
    public const int HeaderSize = 48;
    public const int TrailerSize = 4;
    public const int Alignment = 64;
    public const int MaxRank = 16;
    public const int MaxNameBytes = 1 << 16;

    public static ReadOnlySpan<byte> Magic => "KNOTCKPT"u8;

    /// <summary>Smallest possible encoded size of one directory entry of each kind (used to bound counts).</summary>
    public const int MinMetadataEntryBytes = 4 + 4;
    public const int MinTensorEntryBytes = 4 + 1 + 4 + 8 + 8;
    public const int MinBlobEntryBytes = 4 + 1 + 8 + 8;

    public static long Align(long offset) => (offset + Alignment - 1) & ~(long)(Alignment - 1);
}
