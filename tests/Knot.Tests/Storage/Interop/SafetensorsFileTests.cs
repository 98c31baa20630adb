using System.Buffers.Binary;
using System.Text;
using Knot.Storage.Checkpoints;
using Knot.Storage.Interop;

namespace Knot.Tests.Storage.Interop;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Build(string json, byte[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static string Error(byte[] bytes) =>
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(new MemoryStream(bytes), "w.safetensors")).Message;

    [Fact]
    public void RoundTripIsBitExactWithMetadataAndOrder()
    {
        var tensors = new OrderedDictionary<string, StoredTensor>
        {
            ["fc2.weight"] = new([2, 2], [-0f, float.Epsilon, 1e-40f, BitConverter.Int32BitsToSingle(0x7FC0BEEF)]),
            ["fc2.bias"] = new([2], [float.PositiveInfinity, -3.5f]),
            ["scalar"] = new([], [7f]),
            ["empty"] = new([0, 4], []),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünï \"quoted\"" };
        string path = Path.Combine(_dir, "w.safetensors");
        SafetensorsFile.Write(path, tensors, metadata);

        byte[] raw = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal((byte)'{', raw[8]);
        Assert.Equal(8 + headerLength + (4 * 7), raw.Length);

        var back = SafetensorsFile.Read(path);
        Assert.Equal(tensors.Keys, back.Tensors.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, back.Tensors[name].Shape);
            Assert.Equal(t.Data.Select(BitConverter.SingleToInt32Bits), back.Tensors[name].Data.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal("float32", back.SourceDtypes[name]);
        }
        Assert.Equal(metadata, back.Metadata);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void FixtureWrittenFromTheSpecInPythonReadsExactly()
    {
        // F32, F16, BF16, F64 and a 0-d tensor, with the expected float32 bits computed by torch.
        var w = SafetensorsFile.Read(InteropFixtures.PathOf("tiny.safetensors"));
        InteropFixtures.AssertAllMatch(w, "tiny.safetensors");
        Assert.Equal("bfloat16", w.SourceDtypes["brain"]);
    }

    [Fact]
    public void IntegerDtypesFollowThePolicy()
    {
        byte[] data = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(data, 5);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), (1L << 53) + 1);
        string json = "{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"big\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}";
        Assert.Contains("tensor 'big' (int64) holds 9007199254740993, which float32 cannot represent exactly", Error(Build(json, data)));
        var skipped = SafetensorsFile.Read(new MemoryStream(Build(json, data)), "w", IntegerTensorHandling.Skip);
        Assert.Empty(skipped.Tensors);
        Assert.Equal(["n", "big"], skipped.SkippedIntegerTensors);
        json = "{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[8,10]}}";
        var converted = SafetensorsFile.Read(new MemoryStream(Build(json, [.. data[..8], 1, 0])), "w");
        Assert.Equal([5f], converted.Tensors["n"].Data);
        Assert.Equal([1f, 0f], converted.Tensors["b"].Data);
    }

    [Fact]
    public void HeaderProblemsAreNamed()
    {
        byte[] four = new byte[4];
        Assert.Contains("too short", Error([1, 2, 3]));
        byte[] huge = Build("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        Assert.Contains("header length field says 18446744073709551615 bytes but the file has 2", Error(huge));
        Assert.Contains("JSON header is malformed", Error(Build("{\"a\":", [])));
        Assert.Contains("is a Array, expected an object", Error(Build("[1,2]", [])));
        Assert.Contains("'w' has no string 'dtype'", Error(Build("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", four)));
        Assert.Contains("dtype 'F8_E4M3'; Knot reads F32", Error(Build("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", four)));
        Assert.Contains("shape entry -1 on axis 0", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", four)));
        Assert.Contains("needs 8 bytes, but its data_offsets span 4", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", four)));
        Assert.Contains("declares data bytes 0..400 but the file has 4 data bytes", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", four)));
        Assert.Contains("expected 0 <= begin <= end", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", four)));
        Assert.Contains("'w' twice", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", four)));
        byte[] invalidUtf8 = Build("{\"w?\":1}", []);
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'?')] = 0xFF;
        Assert.Contains("not valid UTF-8", Error(invalidUtf8));
        Assert.Contains("not valid Unicode", Error(Build("{\"__metadata__\":{\"x\":\"\\uD800\"}}", [])));
        Assert.Contains("__metadata__ value 'x' is a Number", Error(Build("{\"__metadata__\":{\"x\":1}}", [])));
        Assert.Contains("shape [100000, 100000...], more elements", Error(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[100000,100000],\"data_offsets\":[0,4]}}", four)));
    }

    [Fact]
    public void OverlapsGapsAndTrailingBytesAreRefused()
    {
        byte[] eight = new byte[8];
        Assert.Contains("overlaps", Error(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight)));
        Assert.Contains("data bytes 0..4 belong to no tensor", Error(Build("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight)));
        Assert.Contains("cover 4 data bytes but the file has 8", Error(Build("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight)));
    }

    [Fact]
    public void TruncationsAndFlipsFailCleanly()
    {
        byte[] original = File.ReadAllBytes(InteropFixtures.PathOf("tiny.safetensors"));
        for (int n = 0; n < original.Length; n++)
            Assert.StartsWith("w.safetensors: ", Error(original[..n]));
        var rng = new Random(5);
        for (int trial = 0; trial < 500; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
            bytes[rng.Next(headerEnd)] = (byte)rng.Next(256);
            try
            {
                SafetensorsFile.Read(new MemoryStream(bytes), "w.safetensors");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("w.safetensors: ", e.Message);
            }
        }
    }

    [Fact]
    public void WriterRejectsBadInputAndMissingDirectory()
    {
        var ok = new OrderedDictionary<string, StoredTensor> { ["w"] = new([1], [1f]) };
        Assert.Throws<DirectoryNotFoundException>(() => SafetensorsFile.Write(Path.Combine(_dir, "missing", "w.safetensors"), ok));
        var bad = new OrderedDictionary<string, StoredTensor> { ["__metadata__"] = new([1], [1f]) };
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(Path.Combine(_dir, "w.safetensors"), bad));
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
