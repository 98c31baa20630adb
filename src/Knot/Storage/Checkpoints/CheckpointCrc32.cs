using System.Buffers.Binary;

namespace Knot.Storage.Checkpoints;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320 — the zip/PNG one), slicing-by-8.
/// Private to the storage readers/writers here because System.IO.Hashing is a separate package; the compressed
/// format keeps its own copy for now (the lead may merge them).
/// </summary>
internal static class CheckpointCrc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues a CRC: pass 0 to start, feed the returned value back in for the next chunk.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        crc = ~crc;
        while (data.Length >= 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (lo & 0xFF)] ^ t[(6 * 256) + ((lo >> 8) & 0xFF)]
                ^ t[(5 * 256) + ((lo >> 16) & 0xFF)] ^ t[(4 * 256) + (lo >> 24)]
                ^ t[(3 * 256) + (hi & 0xFF)] ^ t[(2 * 256) + ((hi >> 8) & 0xFF)]
                ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data)
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (int slice = 1; slice < 8; slice++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = t[((slice - 1) * 256) + i];
                t[(slice * 256) + i] = t[prev & 0xFF] ^ (prev >> 8);
            }
        return t;
    }
}
