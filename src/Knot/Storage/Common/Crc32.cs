using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Knot.Storage.Common;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320 — the zip/PNG one). Long inputs are folded 64 bytes at a
/// time with carry-less multiplication (PCLMULQDQ, Intel's "Fast CRC Computation for Generic Polynomials Using
/// PCLMULQDQ"), the tail and non-x86 machines use slicing-by-8 tables; tests check both paths agree.
/// Private to the storage readers/writers here because System.IO.Hashing is a separate package; the compressed
/// format keeps its own copy for now (the lead may merge them).
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues a CRC: pass 0 to start, feed the returned value back in for the next chunk.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        if (Pclmulqdq.IsSupported && data.Length >= 64)
        {
            int folded = data.Length & ~15;
            crc = Fold(data[..folded], crc);
            data = data[folded..];
        }
        return ~AppendTable(crc, data);
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>The table-only path (for tests), same contract as <see cref="Append"/>.</summary>
    internal static uint AppendPortable(uint crc, ReadOnlySpan<byte> data) => ~AppendTable(~crc, data);

    /// <summary>Slicing-by-8 on the inverted CRC register.</summary>
    private static uint AppendTable(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
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
        return crc;
    }

    /// <summary>
    /// Folds a multiple of 16 bytes (at least 64) into the inverted CRC register: four 128-bit lanes are folded
    /// forward 512 bits per step (constants x^(512±32) mod P), merged into one lane (x^(128±32) mod P), then reduced
    /// 128 → 64 → 32 bits with a final Barrett reduction. Constants are for the bit-reflected IEEE polynomial.
    /// </summary>
    private static uint Fold(ReadOnlySpan<byte> data, uint crc)
    {
        Vector128<ulong> k1k2 = Vector128.Create(0x0154442bd4UL, 0x01c6e41596UL);
        Vector128<ulong> k3k4 = Vector128.Create(0x01751997d0UL, 0x00ccaa009eUL);
        Vector128<ulong> k5 = Vector128.Create(0x0163cd6124UL, 0UL);
        Vector128<ulong> poly = Vector128.Create(0x01db710641UL, 0x01f7011641UL);
        Vector128<ulong> low32 = Vector128.Create(~0u, 0u, ~0u, 0u).AsUInt64();

        ref byte p = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        Vector128<ulong> x1 = Load(ref p, 0) ^ Vector128.CreateScalar(crc).AsUInt64();
        Vector128<ulong> x2 = Load(ref p, 16), x3 = Load(ref p, 32), x4 = Load(ref p, 48);
        int offset = 64;
        for (; length - offset >= 64; offset += 64)
        {
            x1 = FoldLane(x1, k1k2, Load(ref p, offset));
            x2 = FoldLane(x2, k1k2, Load(ref p, offset + 16));
            x3 = FoldLane(x3, k1k2, Load(ref p, offset + 32));
            x4 = FoldLane(x4, k1k2, Load(ref p, offset + 48));
        }
        x1 = FoldLane(x1, k3k4, x2);
        x1 = FoldLane(x1, k3k4, x3);
        x1 = FoldLane(x1, k3k4, x4);
        for (; length - offset >= 16; offset += 16)
            x1 = FoldLane(x1, k3k4, Load(ref p, offset));

        // 128 → 64 bits.
        Vector128<ulong> x = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x10);
        x1 = Sse2.ShiftRightLogical128BitLane(x1.AsByte(), 8).AsUInt64() ^ x;
        x = Sse2.ShiftRightLogical128BitLane(x1.AsByte(), 4).AsUInt64();
        x1 = Pclmulqdq.CarrylessMultiply(x1 & low32, k5, 0x00) ^ x;
        // Barrett reduction to 32 bits.
        x = Pclmulqdq.CarrylessMultiply(x1 & low32, poly, 0x10);
        x = Pclmulqdq.CarrylessMultiply(x & low32, poly, 0x00);
        return (x1 ^ x).AsUInt32().GetElement(1);
    }

    private static Vector128<ulong> FoldLane(Vector128<ulong> lane, Vector128<ulong> k, Vector128<ulong> next) =>
        Pclmulqdq.CarrylessMultiply(lane, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(lane, k, 0x11) ^ next;

    private static Vector128<ulong> Load(ref byte p, int offset) =>
        Vector128.LoadUnsafe(ref p, (nuint)offset).AsUInt64();

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
