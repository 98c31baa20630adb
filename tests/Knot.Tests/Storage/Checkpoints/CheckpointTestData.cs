using Knot.Storage.Common;
using System.Buffers.Binary;
using Knot.Storage.Checkpoints;

namespace Knot.Tests.Storage.Checkpoints;

internal static class CheckpointTestData
{
    public static Checkpoint Small()
    {
        var c = new Checkpoint();
        c.Metadata["model"] = "lenet-300-100";
        c.Metadata["epoch"] = "3";
        c.AddTensor("fc1.weight", [2, 3], [1f, -2f, 3.5f, -0f, float.Epsilon, 6f]);
        c.AddTensor("fc1.bias", [2], [0.25f, -0.125f]);
        c.AddBlob("rng", [1, 2, 3, 4, 5]);
        return c;
    }

    public static byte[] Encode(Checkpoint c)
    {
        using var ms = new MemoryStream();
        CheckpointFile.Write(ms, c);
        return ms.ToArray();
    }

    public static Checkpoint Decode(byte[] bytes, string name = "test.ckpt") => CheckpointFile.Read(new MemoryStream(bytes, writable: false), name);

    /// <summary>Recomputes the trailing CRC so a test reaches the structural checks behind it.</summary>
    public static void FixCrc(byte[] bytes)
    {
        uint crc = Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), crc);
    }

    public static int[] Bits(float[] data) => data.Select(BitConverter.SingleToInt32Bits).ToArray();
}
