using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Knot.Storage.Compressed;

/// <summary>Appends the header's primitive fields: bytes, LEB128 varints, length-prefixed UTF-8 strings, floats.</summary>
internal sealed class HeaderWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public int Length => _buffer.WrittenCount;
    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteVarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    /// <summary>Signed values as zigzag varints (small magnitudes stay short).</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteVarUInt((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteSingle(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }
}

/// <summary>
/// Reads header fields with a check before every read; failures are <see cref="InvalidDataException"/>s naming the
/// source, the field and its absolute file offset.
/// </summary>
internal ref struct HeaderReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly long _fileOffset;
    private readonly string _source;
    private int _position;

    public HeaderReader(ReadOnlySpan<byte> data, long fileOffset, string source)
    {
        _data = data;
        _fileOffset = fileOffset;
        _source = source;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;
    public readonly long FileOffset => _fileOffset + _position;

    public InvalidDataException Error(string what, string problem) => new($"{_source}: {what} at byte {FileOffset}: {problem}");

    public byte ReadByte(string what)
    {
        if (_position >= _data.Length) throw Error(what, "the header ends here");
        return _data[_position++];
    }

    public ulong ReadVarUInt(string what)
    {
        long start = FileOffset;
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (_position >= _data.Length) throw new InvalidDataException($"{_source}: {what} at byte {start}: the header ends inside a varint");
            byte b = _data[_position++];
            if (shift == 63 && b > 1) throw new InvalidDataException($"{_source}: {what} at byte {start}: varint overflows 64 bits");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
            if (shift == 63) throw new InvalidDataException($"{_source}: {what} at byte {start}: varint longer than 10 bytes");
        }
    }

    /// <summary>A varint that must lie in [min, max].</summary>
    public long ReadVarUInt(string what, long min, long max)
    {
        long offset = FileOffset;
        ulong value = ReadVarUInt(what);
        if (value < (ulong)min || value > (ulong)max)
            throw new InvalidDataException($"{_source}: {what} at byte {offset}: {value} is outside [{min}, {max}]");
        return (long)value;
    }

    public long ReadVarInt(string what)
    {
        ulong z = ReadVarUInt(what);
        return (long)(z >> 1) ^ -(long)(z & 1);
    }

    public string ReadString(string what)
    {
        long offset = FileOffset;
        long length = ReadVarUInt(what + " length", 0, int.MaxValue);
        if (length > Remaining)
            throw new InvalidDataException($"{_source}: {what} at byte {offset}: declared length {length} exceeds the {Remaining} header bytes left");
        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{_source}: {what} at byte {offset}: not valid UTF-8");
        }
    }

    public ReadOnlySpan<byte> ReadBytes(int count, string what)
    {
        if (count < 0 || count > Remaining) throw Error(what, $"{count} bytes declared, {Remaining} left in the header");
        var bytes = _data.Slice(_position, count);
        _position += count;
        return bytes;
    }

    public float ReadSingle(string what)
    {
        if (Remaining < 4) throw Error(what, "the header ends inside a float32");
        float value = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_position, 4));
        _position += 4;
        return value;
    }
}
