using System.Text;
using Knot.Storage.Common;
using Knot.Tensors;

namespace Knot.Tests.Storage.Compressed;

public sealed class CompressedCommonPrimitivesTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        // The CRC-32/ISO-HDLC check value for "123456789" (same as zlib's crc32).
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Crc32AppendEqualsWholeComputation()
    {
        var rng = new KnotRandom(7);
        var data = new byte[1000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)rng.NextInt(256);
        uint whole = Crc32.Compute(data);
        for (int cut = 0; cut <= data.Length; cut += 97)
            Assert.Equal(whole, Crc32.Append(Crc32.Compute(data.AsSpan(0, cut)), data.AsSpan(cut)));
    }

    [Fact]
    public void BitFieldsRoundTripAtEveryAlignment()
    {
        var rng = new KnotRandom(11);
        var fields = new List<(uint Value, int Bits)>();
        var w = new BitWriter(4);
        for (int i = 0; i < 5000; i++)
        {
            int bits = rng.NextInt(33);
            uint value = bits == 0 ? 0 : (uint)(rng.NextUInt64() >> (64 - bits));
            fields.Add((value, bits));
            w.WriteBits(value, bits);
        }
        long totalBits = fields.Sum(f => (long)f.Bits);
        Assert.Equal(totalBits, w.BitCount);
        var bytes = w.ToArray();
        Assert.Equal((totalBits + 7) / 8, bytes.Length);
        var r = new BitReader(bytes, "test");
        foreach (var (value, bits) in fields) Assert.Equal(value, r.ReadBits(bits));
        r.ExpectEnd();
    }

    [Fact]
    public void WriterRejectsValuesWiderThanTheField()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new BitWriter().WriteBits(8, 3));

    [Fact]
    public void ReadingPastTheEndIsInvalidData()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            var r = new BitReader(new byte[] { 0xFF, 0x01 }, "ctx");
            r.ReadBits(10);
            r.ReadBits(7);
        });
        Assert.Contains("ctx", ex.Message);
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader([], "ctx"); r.ReadBit(); });
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader(new byte[3], "ctx"); r.ReadBytes(4); });
    }

    [Fact]
    public void NonZeroPaddingAndTrailingBytesAreInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader(new byte[] { 0b1000_0001 }, "ctx"); r.ReadBits(1); r.ExpectEnd(); });
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader(new byte[] { 1, 0 }, "ctx"); r.ReadBits(1); r.ExpectEnd(); });
        var ok = new BitReader(new byte[] { 1 }, "ctx");
        ok.ReadBits(1);
        ok.ExpectEnd();
    }

    [Fact]
    public void AtomicWriteReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "knot-atomic-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "a.bin");
            AtomicFile.WriteAllBytes(path, [1, 2, 3]);
            AtomicFile.WriteAllBytes(path, [4, 5]);
            Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("boom")));
            Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
            Assert.Equal(["a.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
