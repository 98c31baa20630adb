using System.Buffers.Binary;
using Knot.Storage.Common;
using Knot.Storage.Compressed;
using Knot.Tensors;

namespace Knot.Tests.Storage.Compressed;

/// <summary>Damaged files must give <see cref="InvalidDataException"/> and nothing else: no other exception, hang or huge allocation.</summary>
public sealed class CompressedCorruptionTests
{
    private static readonly byte[] Golden = CompressedTestData.BuildGolden();

    /// <summary>Parsing may succeed (a flip inside float data is still a valid file) or throw InvalidDataException, nothing else.</summary>
    private static void ParseMustSucceedOrFailCleanly(byte[] bytes, string what)
    {
        try
        {
            KnotFile.Parse(bytes, "damaged.knot");
        }
        catch (InvalidDataException ex)
        {
            Assert.StartsWith("damaged.knot", ex.Message);
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of InvalidDataException: {ex.Message}");
        }
    }

    private static void FixCrc(byte[] bytes)
    {
        int at = bytes.Length - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), Crc32.Compute(bytes.AsSpan(0, at)));
    }

    [Fact]
    public void TruncationAtEveryByteIsInvalidData()
    {
        for (int length = 0; length < Golden.Length; length++)
        {
            var ex = Assert.Throws<InvalidDataException>(() => KnotFile.Parse(Golden.AsSpan(0, length), "cut.knot"));
            Assert.StartsWith("cut.knot", ex.Message);
        }
        Assert.Throws<InvalidDataException>(() => KnotFile.Parse([.. Golden, 0], "long.knot"));
    }

    [Fact]
    public void TruncationWithConsistentLengthsAndCrcIsInvalidData()
    {
        // Cut the payload and rewrite the preamble lengths and CRC, so only the structural checks can catch it.
        int headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(Golden.AsSpan(8));
        long payloadLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(Golden.AsSpan(12));
        for (long cut = 0; cut < payloadLength; cut++)
        {
            int keep = KnotFormat.PreambleSize + headerLength + (int)cut;
            var bytes = new byte[keep + 4];
            Golden.AsSpan(0, keep).CopyTo(bytes);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), (ulong)cut);
            FixCrc(bytes);
            Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "cut.knot"));
        }
    }

    [Fact]
    public void RandomByteFlipsAreCaughtByTheCrc()
    {
        var rng = new KnotRandom(2024);
        for (int trial = 0; trial < 3000; trial++)
        {
            var bytes = (byte[])Golden.Clone();
            int flips = 1 + rng.NextInt(4);
            for (int f = 0; f < flips; f++) bytes[rng.NextInt(bytes.Length)] ^= (byte)(1 + rng.NextInt(255));
            if (bytes.AsSpan().SequenceEqual(Golden)) continue; // flips cancelled out
            Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "flipped.knot"));
        }
    }

    [Fact]
    public void RandomByteFlipsWithARepairedCrcNeverEscapeAsOtherExceptions()
    {
        // With the CRC recomputed every header field and payload check is exercised. A flip inside float data
        // legitimately reads back (different values), so success is allowed; any exception must be InvalidDataException.
        var rng = new KnotRandom(77);
        int rejected = 0;
        const int trials = 6000;
        for (int trial = 0; trial < trials; trial++)
        {
            var bytes = (byte[])Golden.Clone();
            int flips = 1 + rng.NextInt(3);
            for (int f = 0; f < flips; f++)
            {
                int at = rng.NextInt(bytes.Length - 4);
                bytes[at] = rng.NextInt(3) == 0 ? (byte)rng.NextInt(256) : (byte)(bytes[at] ^ (1 << rng.NextInt(8)));
            }
            FixCrc(bytes);
            try
            {
                KnotFile.Parse(bytes, "damaged.knot");
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"trial {trial}: {ex.GetType().Name} instead of InvalidDataException: {ex}");
            }
        }
        Assert.True(rejected > trials / 2, $"only {rejected} of {trials} damaged files were rejected");
    }

    [Fact]
    public void FlipsInALargerAutomaticallyEncodedFileNeverEscapeAsOtherExceptions()
    {
        // Larger Huffman tables and streams than the golden file, chosen by the writer itself.
        var w = new KnotFileWriter();
        var cb = Enumerable.Range(0, 37).Select(i => (i - 18) / 8f).ToArray();
        int id = w.AddCodebook(cb);
        w.AddTensor("a", CompressedTestData.SparseOnCodebook(21, 3000, 0.06, cb), [30, 100], codebookId: id);
        w.AddTensor("b", CompressedTestData.SparseOnCodebook(22, 400, 0.8, cb), [400], codebookId: id);
        w.AddTensor("c", CompressedTestData.SparseOnCodebook(23, 500, 0.1, cb), [500], EncodingRequest.HuffmanSparse);
        w.AddIndexTable("d", [.. Enumerable.Range(0, 50).Select(i => i % 7 - 3)], [50]);
        w.AddTensor("e", CompressedTestData.SparseOnCodebook(24, 300, 0.3, cb), [300], EncodingRequest.HalfPrecision);
        w.AddTensor("f", [.. Enumerable.Range(0, 40).Select(i => (i - 20) / 16f)], [40], new EncodingRequest(PositionCoding.Dense, ValueCoding.Float16));
        var original = w.ToArray();
        var rng = new KnotRandom(5150);
        for (int trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])original.Clone();
            int at = rng.NextInt(bytes.Length - 4);
            bytes[at] ^= (byte)(1 << rng.NextInt(8));
            FixCrc(bytes);
            ParseMustSucceedOrFailCleanly(bytes, $"trial {trial}, byte {at}");
        }
    }

    [Fact]
    public void BadMagicVersionAndFlagsAreNamed()
    {
        var bytes = (byte[])Golden.Clone();
        bytes[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "f")).Message);
        bytes = (byte[])Golden.Clone();
        bytes[4] = 2;
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "f")).Message);
        bytes = (byte[])Golden.Clone();
        bytes[6] = 2; // bit 0 (compressed metadata) is defined, bit 1 is not
        Assert.Contains("flags", Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "f")).Message);
        bytes = (byte[])Golden.Clone();
        bytes[6] = 1; // a plain header read as compressed metadata
        FixCrc(bytes);
        Assert.Contains("compressed metadata", Assert.Throws<InvalidDataException>(() => KnotFile.Parse(bytes, "f")).Message);
    }

    private static byte[] WithCompressedMetadata()
    {
        var w = new KnotFileWriter { CompressMetadata = true };
        w.Metadata["architecture"] = string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"type\":\"linear\",\"in\":{i},\"out\":10}},"));
        w.Metadata["note"] = "compressed";
        w.AddTensor("a", [1f, 0f, 0f, 2f], [4]);
        return w.ToArray();
    }

    [Fact]
    public void TruncatedOrFlippedCompressedMetadataIsAlwaysInvalidData()
    {
        var original = WithCompressedMetadata();
        Assert.Equal(KnotFormat.CompressedMetadataFlag, BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan(6)));
        for (int cut = 0; cut < original.Length; cut++)
            Assert.Throws<InvalidDataException>(() => KnotFile.Parse(original.AsSpan(0, cut), "cut.knot"));
        int headerEnd = KnotFormat.PreambleSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(original.AsSpan(8));
        var rng = new KnotRandom(31);
        for (int trial = 0; trial < 3000; trial++)
        {
            var bytes = (byte[])original.Clone();
            int at = KnotFormat.PreambleSize + rng.NextInt(headerEnd - KnotFormat.PreambleSize);
            bytes[at] ^= (byte)(1 << rng.NextInt(8));
            FixCrc(bytes);
            ParseMustSucceedOrFailCleanly(bytes, $"trial {trial}, byte {at}");
        }
    }

    /// <summary>Assembles a file around a hand-written header and payload, with correct lengths and CRC.</summary>
    private static byte[] Assemble(Action<HeaderWriter> header, byte[] payload, bool compressed = false)
    {
        var h = new HeaderWriter();
        header(h);
        var bytes = new byte[KnotFormat.PreambleSize + h.Length + payload.Length + 4];
        KnotFormat.Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), KnotFormat.Version);
        if (compressed) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), KnotFormat.CompressedMetadataFlag);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)h.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), (ulong)payload.Length);
        h.Written.CopyTo(bytes.AsSpan(KnotFormat.PreambleSize));
        payload.CopyTo(bytes.AsSpan(KnotFormat.PreambleSize + h.Length));
        FixCrc(bytes);
        return bytes;
    }

    private static void TensorHeader(HeaderWriter h, int[] dims, PositionCoding p, ValueCoding v, Action<HeaderWriter> parameters, long payloadLength)
    {
        h.WriteVarUInt(0); // metadata
        h.WriteVarUInt(1); // one codebook of 4 entries
        h.WriteVarUInt(4);
        for (int i = 0; i < 4; i++) h.WriteSingle(i);
        h.WriteVarUInt(1);
        h.WriteString("huge");
        h.WriteByte((byte)(v == ValueCoding.PackedInt32 ? KnotElementType.Int32 : KnotElementType.Float32));
        h.WriteByte((byte)dims.Length);
        foreach (var d in dims) h.WriteVarUInt((ulong)d);
        h.WriteByte((byte)p);
        h.WriteByte((byte)v);
        parameters(h);
        h.WriteVarUInt(0);
        h.WriteVarUInt((ulong)payloadLength);
    }

    public static TheoryData<string> HugeCases() =>
    [
        "dense", "half", "codes", "huffman-codes", "packed-int", "gap-symbols", "huffman-gap-symbols", "entries", "shape-overflow",
        "metadata-count", "metadata-inflate", "string-length", "codebook-size", "tensor-count", "payload-length", "payload-overrun",
    ];

    [Theory]
    [MemberData(nameof(HugeCases))]
    public void HeadersDeclaringHugeSizesAreRefusedBeforeAllocating(string kind)
    {
        var payload = new byte[16];
        int big = 1 << 30;
        byte[] file = kind switch
        {
            "dense" => Assemble(h => TensorHeader(h, [big / 4, 2], PositionCoding.Dense, ValueCoding.Float32, _ => { }, 16), payload),
            "half" => Assemble(h => TensorHeader(h, [big / 2, 2], PositionCoding.Dense, ValueCoding.Float16, _ => { }, 16), payload),
            "codes" => Assemble(h => TensorHeader(h, [big], PositionCoding.Dense, ValueCoding.Codes, x => { x.WriteVarUInt(0); x.WriteByte(2); }, 16), payload),
            "huffman-codes" => Assemble(h => TensorHeader(h, [big], PositionCoding.Dense, ValueCoding.HuffmanCodes, x => x.WriteVarUInt(0), 16), payload),
            "packed-int" => Assemble(h => TensorHeader(h, [big], PositionCoding.Dense, ValueCoding.PackedInt32, x => { x.WriteByte(1); x.WriteVarInt(0); }, 16), payload),
            "gap-symbols" => Assemble(h => TensorHeader(h, [big], PositionCoding.Gaps, ValueCoding.Float32, x => { x.WriteByte(4); x.WriteVarUInt((ulong)big); x.WriteVarUInt(1UL << 60); }, 16), payload),
            "huffman-gap-symbols" => Assemble(h => TensorHeader(h, [big], PositionCoding.HuffmanGaps, ValueCoding.Float32, x => { x.WriteByte(4); x.WriteVarUInt((ulong)big); x.WriteVarUInt((ulong)big); }, 16), payload),
            "entries" => Assemble(h => TensorHeader(h, [10], PositionCoding.Gaps, ValueCoding.Float32, x => { x.WriteByte(4); x.WriteVarUInt((ulong)big); x.WriteVarUInt((ulong)big); }, 16), payload),
            "shape-overflow" => Assemble(h => TensorHeader(h, [int.MaxValue, int.MaxValue, 4], PositionCoding.Dense, ValueCoding.Float32, _ => { }, 16), payload),
            "metadata-count" => Assemble(h => { h.WriteVarUInt(ulong.MaxValue >> 1); }, []),
            "string-length" => Assemble(h => { h.WriteVarUInt(1); h.WriteVarUInt(int.MaxValue); h.WriteByte(0); }, []),
            "metadata-inflate" => Assemble(h => { h.WriteVarUInt((ulong)(big / 64)); h.WriteVarUInt(4); h.WriteBytes(new byte[4]); }, [], compressed: true),
            "codebook-size" => Assemble(h => { h.WriteVarUInt(0); h.WriteVarUInt(1); h.WriteVarUInt(65536); }, []),
            "tensor-count" => Assemble(h => { h.WriteVarUInt(0); h.WriteVarUInt(0); h.WriteVarUInt(1UL << 40); }, []),
            "payload-length" => Assemble(h => TensorHeader(h, [4], PositionCoding.Dense, ValueCoding.Float32, _ => { }, long.MaxValue / 2), payload),
            "payload-overrun" => Assemble(h => TensorHeader(h, [4], PositionCoding.Dense, ValueCoding.Float32, _ => { }, 1000), payload),
            _ => throw new ArgumentException(kind),
        };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => KnotFile.Parse(file, "huge.knot"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("huge.knot", ex.Message);
        Assert.True(allocated < 1 << 20, $"{kind}: allocated {allocated} bytes before refusing ({ex.Message})");
    }

    [Fact]
    public void ASparseTensorWithAHugeShapeButFewEntriesLoadsWithoutExpanding()
    {
        // Legal: a 2^30-element tensor with one non-zero. Loading must not allocate the dense size; ToDense is explicit.
        var payload = new byte[16];
        var w = new BitWriter();
        w.WriteBits(0, 16); // one 16-bit gap symbol: position 0
        w.AlignToByte();
        w.WriteSingle(5f);
        var file = Assemble(h => TensorHeader(h, [1 << 30], PositionCoding.Gaps, ValueCoding.Float32,
            x => { x.WriteByte(16); x.WriteVarUInt(1); x.WriteVarUInt(1); }, w.ByteCount), w.ToArray());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var knot = KnotFile.Parse(file, "sparse.knot");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        var t = Assert.IsType<SparseKnotTensor>(knot["huge"]);
        Assert.Equal([0], t.Structure.Positions);
        Assert.Equal([5f], t.Values);
    }

    [Fact]
    public void ErrorsNameTheTensorAndOffset()
    {
        // A code outside the 4-entry codebook (2-bit codes can say 0..3, so use a 3-entry codebook of 2 bits).
        var payload = new byte[] { 0b11 };
        var file = Assemble(h =>
        {
            h.WriteVarUInt(0);
            h.WriteVarUInt(1);
            h.WriteVarUInt(3);
            for (int i = 0; i < 3; i++) h.WriteSingle(i);
            h.WriteVarUInt(1);
            h.WriteString("fc1.weight");
            h.WriteByte(0); h.WriteByte(1); h.WriteVarUInt(1);
            h.WriteByte((byte)PositionCoding.Dense); h.WriteByte((byte)ValueCoding.Codes);
            h.WriteVarUInt(0); h.WriteByte(2);
            h.WriteVarUInt(0); h.WriteVarUInt(1);
        }, payload);
        var ex = Assert.Throws<InvalidDataException>(() => KnotFile.Parse(file, "model.knot"));
        Assert.Contains("model.knot", ex.Message);
        Assert.Contains("'fc1.weight'", ex.Message);
        Assert.Contains("code 3", ex.Message);
    }
}
