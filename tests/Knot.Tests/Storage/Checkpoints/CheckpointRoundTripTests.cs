using Knot.Storage.Checkpoints;
using Knot.Tensors;

namespace Knot.Tests.Storage.Checkpoints;

public sealed class CheckpointRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MetadataTensorsAndBlobsSurviveBitExactInOrder()
    {
        var c = new Checkpoint();
        c.Metadata["model"] = "growl-mnist";
        c.Metadata["config"] = "{\"lr\": 0.01, \"name\": \"ünïcødé ✓\"}";
        c.Metadata["empty"] = "";
        float[] special = [-0f, 0f, float.Epsilon, -float.Epsilon, 1e-40f, 1.17549421e-38f, float.MaxValue, float.MinValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7FC12345), 1f / 3f];
        c.AddTensor("z.special", [special.Length], special);
        c.AddTensor("a.weight", [3, 2, 1], [1, 2, 3, 4, 5, 6]);
        c.AddTensor("scalar", [], [42f]);
        c.AddTensor("empty", [0, 5], []);
        c.AddTensor("optim/a.weight/exp_avg", Tensor.FromArray([0.5f, -0.5f], 2));
        c.AddBlob("rng-state", [0, 255, 7]);
        c.AddBlob("nothing", []);

        string path = Path.Combine(_dir, "model.ckpt");
        CheckpointFile.Write(path, c);
        var back = CheckpointFile.Read(path);

        Assert.Equal(c.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal), back.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(c.Tensors.Keys, back.Tensors.Keys);
        foreach (var (name, t) in c.Tensors)
        {
            Assert.Equal(t.Shape, back.Tensors[name].Shape);
            Assert.Equal(CheckpointTestData.Bits(t.Data), CheckpointTestData.Bits(back.Tensors[name].Data));
        }
        Assert.Equal(c.Blobs.Keys, back.Blobs.Keys);
        Assert.Equal(c.Blobs["rng-state"], back.Blobs["rng-state"]);
        Assert.Empty(back.Blobs["nothing"]);
        Assert.Equal(new FileInfo(path).Length, CheckpointFile.EncodedLength(c));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void SameCheckpointGivesSameBytesAndPayloadsAreAligned()
    {
        var a = CheckpointTestData.Small();
        var b = new Checkpoint();
        b.Metadata["epoch"] = "3"; // different insertion order than Small(): metadata is written sorted
        b.Metadata["model"] = "lenet-300-100";
        foreach (var (n, t) in a.Tensors) b.AddTensor(n, t.Shape, t.Data);
        foreach (var (n, x) in a.Blobs) b.AddBlob(n, x);
        byte[] bytesA = CheckpointTestData.Encode(a);
        Assert.Equal(bytesA, CheckpointTestData.Encode(b));
        // The first float of fc1.weight (1.0f = 00 00 80 3F) sits on a 64-byte boundary.
        int at = bytesA.AsSpan().IndexOf(new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0 });
        Assert.True(at > 0 && at % 64 == 0, $"payload at {at}");
    }

    [Fact]
    public void TensorsConvertToAndFromKnotTensors()
    {
        var c = new Checkpoint();
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        c.AddTensor("w", t);
        t.Data[0] = 99f; // AddTensor(Tensor) copies
        var back = CheckpointTestData.Decode(CheckpointTestData.Encode(c));
        Assert.Equal(new Shape(2, 3), back.GetTensor("w").ToTensor().Shape);
        Assert.Equal(1f, back.GetTensor("w").Data[0]);
        var dst = Tensor.Zeros(2, 3);
        back.CopyTensorTo("w", dst);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], dst.Data);
        var wrong = Tensor.Zeros(3, 2);
        Assert.Contains("shape (2, 3)", Assert.Throws<ArgumentException>(() => back.CopyTensorTo("w", wrong)).Message);
        Assert.Contains("'w'", Assert.Throws<KeyNotFoundException>(() => back.GetTensor("v")).Message);
        Assert.Contains("no metadata 'epoch'", Assert.Throws<KeyNotFoundException>(() => back.GetMetadata("epoch")).Message);
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeWriting()
    {
        var c = new Checkpoint();
        Assert.Throws<ArgumentException>(() => c.AddTensor("w", [2, 2], [1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => c.AddTensor("w", [-1], []));
        Assert.Throws<ArgumentException>(() => c.AddTensor("", [1], [1f]));
        c.AddTensor("w", [1], [1f]);
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => c.AddTensor("w", [1], [2f])).Message);
        c.Metadata["bad"] = "\uD800"; // unpaired surrogate cannot be UTF-8 encoded
        string path = Path.Combine(_dir, "bad.ckpt");
        Assert.Throws<ArgumentException>(() => CheckpointFile.Write(path, c));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
