namespace Knot.Storage.Common;

/// <summary>
/// Reads the bit fields written by <see cref="BitWriter"/>. Every read is checked against the end of the data: reading
/// past it throws <see cref="InvalidDataException"/> naming <c>context</c> (e.g. the file and tensor) and the bit position,
/// so a truncated or corrupt stream can never make a decoder run off the end or loop forever.
/// </summary>
public ref struct BitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _context;
    private long _bitPosition;

    public BitReader(ReadOnlySpan<byte> data, string context)
    {
        _data = data;
        _context = context;
        _bitPosition = 0;
    }

    public readonly long BitPosition => _bitPosition;
    public readonly long BitLength => 8L * _data.Length;
    public readonly long BitsRemaining => BitLength - _bitPosition;
    public readonly string Context => _context;

    /// <summary>Reads a field of <paramref name="count"/> bits (0 ≤ count ≤ 32).</summary>
    public uint ReadBits(int count)
    {
        if ((uint)count > 32) throw new ArgumentOutOfRangeException(nameof(count), count, "A field has 0 to 32 bits.");
        if (count == 0) return 0;
        if (count > BitsRemaining)
            throw new InvalidDataException($"{_context}: needs {count} more bits at bit {_bitPosition} but the stream has {BitLength} bits.");
        long byteIndex = _bitPosition >> 3;
        int shift = (int)(_bitPosition & 7);
        int touched = (shift + count + 7) >> 3;
        ulong bits = 0;
        for (int i = 0; i < touched; i++) bits |= (ulong)_data[(int)byteIndex + i] << (8 * i);
        _bitPosition += count;
        return (uint)((bits >> shift) & ((1UL << count) - 1));
    }

    /// <summary>
    /// The next <paramref name="count"/> bits (≤ 25) without consuming them; bits past the end read as zero, so the
    /// caller must check <see cref="BitsRemaining"/> before <see cref="Skip"/>ping what it uses.
    /// </summary>
    public readonly uint PeekBits(int count)
    {
        if ((uint)count > 25) throw new ArgumentOutOfRangeException(nameof(count), count, "Peek 0 to 25 bits.");
        long byteIndex = _bitPosition >> 3;
        int shift = (int)(_bitPosition & 7);
        ulong bits = 0;
        for (int i = 0; i < 4 && byteIndex + i < _data.Length; i++) bits |= (ulong)_data[(int)byteIndex + i] << (8 * i);
        return (uint)((bits >> shift) & ((1UL << count) - 1));
    }

    /// <summary>Consumes <paramref name="count"/> bits (checked against the end).</summary>
    public void Skip(int count)
    {
        if (count < 0 || count > BitsRemaining)
            throw new InvalidDataException($"{_context}: needs {count} more bits at bit {_bitPosition} but the stream has {BitLength} bits.");
        _bitPosition += count;
    }

    public bool ReadBit()
    {
        if (_bitPosition >= BitLength)
            throw new InvalidDataException($"{_context}: needs 1 more bit at bit {_bitPosition} but the stream has {BitLength} bits.");
        bool bit = ((_data[(int)(_bitPosition >> 3)] >> (int)(_bitPosition & 7)) & 1) != 0;
        _bitPosition++;
        return bit;
    }

    public float ReadSingle() => BitConverter.UInt32BitsToSingle(ReadBits(32));

    /// <summary>Reads <paramref name="count"/> whole bytes; the stream must be at a byte boundary.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((_bitPosition & 7) != 0) throw new InvalidOperationException("ReadBytes needs a byte-aligned position.");
        if (count < 0 || 8L * count > BitsRemaining)
            throw new InvalidDataException($"{_context}: needs {count} more bytes at byte {_bitPosition >> 3} but the stream has {_data.Length} bytes.");
        var bytes = _data.Slice((int)(_bitPosition >> 3), count);
        _bitPosition += 8L * count;
        return bytes;
    }

    /// <summary>Skips to the next byte boundary; the skipped padding bits must be zero (the writer pads with zeros).</summary>
    public void SkipPaddingToByte()
    {
        while ((_bitPosition & 7) != 0)
        {
            if (ReadBit()) throw new InvalidDataException($"{_context}: non-zero padding bit at bit {_bitPosition - 1}.");
        }
    }

    /// <summary>Asserts the whole stream was consumed (up to zero padding in the last byte).</summary>
    public void ExpectEnd()
    {
        SkipPaddingToByte();
        if (_bitPosition != BitLength)
            throw new InvalidDataException($"{_context}: {(BitLength - _bitPosition) / 8} unexpected trailing bytes after byte {_bitPosition / 8}.");
    }
}
