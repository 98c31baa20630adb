using System.Buffers.Binary;
using System.Text;
using Knot.Storage.Checkpoints;

namespace Knot.Tests.Storage.Checkpoints;

public sealed class CheckpointValidationTests
{
    [Fact]
    public void EveryTruncationIsACleanInvalidDataException()
    {
        byte[] bytes = CheckpointTestData.Encode(CheckpointTestData.Small());
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes[..n], "cut.ckpt"));
            Assert.StartsWith("cut.ckpt: ", e.Message);
        }
        Assert.Equal(2, CheckpointTestData.Decode(bytes).Tensors.Count);
    }

    [Fact]
    public void TruncationBeyondTheHeaderSaysTruncated()
    {
        byte[] bytes = CheckpointTestData.Encode(CheckpointTestData.Small());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes[..(bytes.Length - 10)]));
        Assert.Contains($"the header says the file is {bytes.Length} bytes but it has {bytes.Length - 10} (truncated)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode([.. bytes, 0]));
        Assert.Contains("appended", e.Message);
    }

    [Fact]
    public void RandomByteFlipsAreAllDetected()
    {
        byte[] original = CheckpointTestData.Encode(CheckpointTestData.Small());
        var rng = new Random(1234);
        for (int trial = 0; trial < 600; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = 1 + (trial % 3);
            for (int f = 0; f < flips; f++)
                bytes[rng.Next(bytes.Length)] ^= (byte)(1 + rng.Next(255));
            if (bytes.AsSpan().SequenceEqual(original)) continue; // two flips cancelled
            // CRC-32 detects every error burst of up to 32 bits, so single-byte flips never slip through;
            // multi-byte ones could only in ~2^-32 of cases, and this seed has none.
            Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes));
        }
    }

    [Fact]
    public void CorruptStructureWithAValidCrcStillFailsCleanly()
    {
        // Fixing the CRC after each flip drives the structural checks (counts, lengths, offsets, UTF-8, overlaps).
        var c = CheckpointTestData.Small();
        c.AddTensor("conv.weight", [2, 1, 3, 3], Enumerable.Range(0, 18).Select(i => (float)i).ToArray());
        c.Metadata["config"] = "{\"a\":1}";
        byte[] original = CheckpointTestData.Encode(c);
        int directoryEnd = 48 + (int)BinaryPrimitives.ReadInt64LittleEndian(original.AsSpan(24));
        var rng = new Random(99);
        int rejected = 0, accepted = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int at = rng.Next(directoryEnd); // header + directory, where the structure lives
            bytes[at] = trial % 4 == 0 ? (byte)0xFF : (byte)(bytes[at] ^ (1 << rng.Next(8)));
            CheckpointTestData.FixCrc(bytes);
            try
            {
                var back = CheckpointTestData.Decode(bytes);
                accepted++; // e.g. a flipped character in a name: still a well-formed file
                Assert.True(back.Tensors.Count + back.Blobs.Count + back.Metadata.Count > 0);
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
        }
        Assert.True(rejected > 1000, $"rejected {rejected}, accepted {accepted}");
    }

    [Fact]
    public void HugeDeclaredSizesAreRefusedBeforeAllocation()
    {
        var c = new Checkpoint();
        c.AddTensor("fc1.weight", [2, 2], [1f, 2f, 3f, 4f]);
        byte[] original = CheckpointTestData.Encode(c);
        // Directory: u32 name length, "fc1.weight", u32 rank, 2 × i32 dims, u64 offset, u64 count.
        int dims = 48 + 4 + 10 + 4, offsetField = dims + 8, countField = offsetField + 8;

        byte[] bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(dims), 485);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(dims + 4), 485);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(countField), 235225);
        CheckpointTestData.FixCrc(bytes);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes, "model.ckpt"));
        Assert.Contains($"model.ckpt: tensor 'fc1.weight' declares 235225 floats at offset 128 but the file has {bytes.Length} bytes", e.Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(dims), int.MaxValue);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(dims + 4), int.MaxValue);
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains($"declares 4 floats but its shape (2147483647, 2147483647) has more than {Array.MaxLength}", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(countField), ulong.MaxValue);
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("more than a .NET array can hold", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offsetField), ulong.MaxValue - 3);
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("at offset 18446744073709551612 but the file has", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offsetField), 50);
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("inside the header/directory", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(36), uint.MaxValue); // tensor count
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("4294967295 tensors", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1UL << 40); // directory length
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("-byte directory", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);

        bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(48), 0x7FFFFFF0); // name length
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("declares 2147483632 bytes but only", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
    }

    [Fact]
    public void OverlappingPayloadsAreRefused()
    {
        var c = new Checkpoint();
        c.AddTensor("a", [4], [1f, 2f, 3f, 4f]);
        c.AddTensor("b", [4], [5f, 6f, 7f, 8f]);
        byte[] bytes = CheckpointTestData.Encode(c);
        // Entry "a": 4+1 name, 4 rank, 4 dim, 8 offset, 8 count = 29 bytes; "b"'s offset follows its name/rank/dim.
        int aOffset = 48 + 4 + 1 + 4 + 4, bOffset = 48 + 29 + 4 + 1 + 4 + 4;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bOffset), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(aOffset)) + 4);
        CheckpointTestData.FixCrc(bytes);
        Assert.Contains("tensor 'a' (bytes", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
        Assert.Contains("overlaps tensor 'b'", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
    }

    [Fact]
    public void CrcMismatchIsReported()
    {
        byte[] bytes = CheckpointTestData.Encode(CheckpointTestData.Small());
        bytes[^10] ^= 1; // inside a payload: structurally fine, only the checksum can tell
        Assert.Contains("CRC-32 mismatch", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
    }

    [Fact]
    public void WrongMagicSaysWhatTheFileLooksLike()
    {
        string Message(byte[] b) => Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(b, "x.bin")).Message;

        byte[] json = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        byte[] safetensors = [.. BitConverter.GetBytes((ulong)json.Length), .. json, 0, 0, 0, 0];
        Assert.Contains("not a Knot checkpoint: it looks like a safetensors file", Message(safetensors));
        Assert.Contains("zip archive, probably a PyTorch torch.save file", Message([.. "PK\x03\x04"u8, .. new byte[60]]));
        Assert.Contains("compressed .knot model file", Message([.. "KNOTZIP1"u8, .. new byte[60]]));
        Assert.Contains("legacy torch.save", Message([0x80, 0x02, 0x8A, 0x0A, .. new byte[60]]));
        Assert.Contains("starts with bytes 48656C6C6F2C2077, expected the magic 'KNOTCKPT'", Message("Hello, world! This is text."u8.ToArray()));
        Assert.Contains("x.bin: the file is empty", Message([]));
        Assert.Contains("shorter than the 48-byte header", Message("KNOTCKPT"u8.ToArray()));
    }

    [Fact]
    public void UnsupportedVersionAndFlagsAreNamed()
    {
        byte[] bytes = CheckpointTestData.Encode(CheckpointTestData.Small());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2);
        Assert.Contains("format version 2 was written by a newer Knot; this build reads version 1",
            Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0);
        Assert.Contains("version 0 is not supported", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), 4);
        Assert.Contains("flags are 0x00000004", Assert.Throws<InvalidDataException>(() => CheckpointTestData.Decode(bytes)).Message);
    }
}
