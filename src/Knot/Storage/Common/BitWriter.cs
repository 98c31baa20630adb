namespace Knot.Storage.Common;

/// <summary>
/// Appends bit fields to a growable byte buffer, least-significant bit first (bit i of the stream is bit i % 8 of
/// byte i / 8). Fields of up to 32 bits are written with their low bit first; see <see cref="BitReader"/>.
/// </summary>
public sealed class BitWriter
{
    private byte[] _buffer;
    private long _bitCount;

    public BitWriter(int initialCapacityBytes = 256) => _buffer = new byte[Math.Max(16, initialCapacityBytes)];

    /// <summary>Number of bits written so far.</summary>
    public long BitCount => _bitCount;

    /// <summary>Number of bytes the written bits occupy (the last byte padded with zero bits).</summary>
    public long ByteCount => (_bitCount + 7) >> 3;

    /// <summary>Writes the low <paramref name="count"/> bits of <paramref name="value"/> (0 ≤ count ≤ 32).</summary>
    public void WriteBits(uint value, int count)
    {
        if ((uint)count > 32) throw new ArgumentOutOfRangeException(nameof(count), count, "A field has 0 to 32 bits.");
        if (count == 0) return;
        if (count < 32 && (value >> count) != 0)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Value does not fit in {count} bits.");
        EnsureCapacity(_bitCount + count);
        // Up to 32 bits starting at any bit offset touch at most 5 bytes; OR them in (the buffer starts zeroed).
        long byteIndex = _bitCount >> 3;
        int shift = (int)(_bitCount & 7);
        ulong bits = (ulong)value << shift;
        int touched = (shift + count + 7) >> 3;
        for (int i = 0; i < touched; i++) _buffer[byteIndex + i] |= (byte)(bits >> (8 * i));
        _bitCount += count;
    }

    public void WriteBit(bool bit) => WriteBits(bit ? 1u : 0u, 1);

    /// <summary>Pads with zero bits to the next byte boundary.</summary>
    public void AlignToByte()
    {
        long aligned = (_bitCount + 7) & ~7L;
        EnsureCapacity(aligned);
        _bitCount = aligned;
    }

    /// <summary>Writes raw bytes; the stream must be byte-aligned (call <see cref="AlignToByte"/> first).</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if ((_bitCount & 7) != 0) throw new InvalidOperationException("WriteBytes needs a byte-aligned stream; call AlignToByte first.");
        EnsureCapacity(_bitCount + 8L * bytes.Length);
        bytes.CopyTo(_buffer.AsSpan((int)(_bitCount >> 3)));
        _bitCount += 8L * bytes.Length;
    }

    /// <summary>Writes a float32 as its 32 IEEE bits (byte order little-endian once aligned).</summary>
    public void WriteSingle(float value) => WriteBits(BitConverter.SingleToUInt32Bits(value), 32);

    /// <summary>The written bytes (the last byte zero-padded).</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, (int)ByteCount).ToArray();

    /// <summary>The written bytes without copying; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, (int)ByteCount);

    private void EnsureCapacity(long bits)
    {
        long bytesNeeded = ((bits + 7) >> 3) + 8; // slack so WriteBits never indexes past the end
        if (bytesNeeded <= _buffer.Length) return;
        if (bytesNeeded > Array.MaxLength) throw new InvalidOperationException($"A bit stream cannot exceed {Array.MaxLength} bytes.");
        long newSize = Math.Min(Array.MaxLength, Math.Max(bytesNeeded, 2L * _buffer.Length));
        Array.Resize(ref _buffer, (int)newSize);
    }
}
