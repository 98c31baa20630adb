using System.Buffers.Binary;
using Knot.Storage.Interop;

namespace Knot.Tests.Storage.Interop;

public sealed class TorchPickleEdgeCaseTests
{
    private static ImportedWeights Load(byte[] pkl, Dictionary<string, byte[]>? storages = null, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact) =>
        TorchStateDictReader.Read(new MemoryStream(TorchZipBuilder.Zip(pkl, storages)), "t.pt", integers);

    private static string Error(byte[] pkl, Dictionary<string, byte[]>? storages = null) =>
        Assert.Throws<InvalidDataException>(() => Load(pkl, storages)).Message;

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void HandBuiltDictWithAStridedViewLoads()
    {
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", 6, 1, [2, 2], [1, 2]).Op((byte)'s').Stop();
        var w = Load(pkl, new() { ["0"] = Floats(0, 1, 2, 3, 4, 5) });
        Assert.Equal([2, 2], w.Tensors["w"].Shape);
        Assert.Equal([1f, 3f, 2f, 4f], w.Tensors["w"].Data); // element (i, j) = storage[1 + i + 2j]
    }

    [Fact]
    public void ASingleTensorFileIsNamedTensor()
    {
        byte[] pkl = new TorchZipBuilder().Tensor("FloatStorage", "0", 1, 0, [], []).Stop();
        Assert.Equal([5f], Load(pkl, new() { ["0"] = Floats(5) }).Tensors["tensor"].Data);
    }

    [Fact]
    public void ViewsOutsideTheirStorageAreRefused()
    {
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", 6, 3, [2, 2], [2, 1]).Op((byte)'s').Stop();
        Assert.Contains("tensor 'w' (offset 3, shape (2, 2), stride (2, 1)) reaches element 6 of storage '0', which has 6", Error(pkl, new() { ["0"] = Floats(0, 1, 2, 3, 4, 5) }));
    }

    [Fact]
    public void StorageEntriesMustExistAndBeLongEnough()
    {
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "7", 4, 0, [4], [1]).Op((byte)'s').Stop();
        Assert.Contains("refers to storage '7' but the archive has no entry 'archive/data/7'", Error(pkl));
        Assert.Contains("storage '7' needs 4 × 4 = 16 bytes but its entry holds 8", Error(pkl, new() { ["7"] = Floats(1, 2) }));
        byte[] huge = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", int.MaxValue, 0, [1], [1]).Op((byte)'s').Stop();
        Assert.Contains("more than Knot can load into one array", Error(huge, new() { ["0"] = Floats(1) }));
        byte[] bomb = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", 1, 0, [100_000_000], [0]).Op((byte)'s').Stop();
        Assert.Contains("over the limit of", Error(bomb, new() { ["0"] = Floats(1) }));
        byte[] wide = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", 1, 0, [int.MaxValue], [0]).Op((byte)'s').Stop();
        Assert.Contains("more elements than a .NET array can hold", Error(wide, new() { ["0"] = Floats(1) }));
    }

    [Fact]
    public void DeflatedStoragesThatInflateTooMuchAreRefused()
    {
        const int n = 4 << 20; // 16 MiB of zeros deflates to a few KiB
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Str("w").Tensor("FloatStorage", "0", n, 0, [n], [1]).Op((byte)'s').Stop();
        byte[] zip = TorchZipBuilder.Zip(pkl, new Dictionary<string, byte[]> { ["0"] = new byte[4 * n] }, storageCompression: System.IO.Compression.CompressionLevel.Optimal);
        Assert.True(zip.Length < 100_000);
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(new MemoryStream(zip), "bomb.pt"));
        Assert.Contains("storage '0' inflates", e.Message);
        // The same storage stored uncompressed loads fine.
        Assert.Equal(n, TorchStateDictReader.Read(new MemoryStream(TorchZipBuilder.Zip(pkl, new Dictionary<string, byte[]> { ["0"] = new byte[4 * n] })), "ok.pt").Tensors["w"].Length);
    }

    [Fact]
    public void Int64ValuesThatFloat32CannotHoldAreRefusedUnlessSkipped()
    {
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Str("steps").Tensor("LongStorage", "0", 1, 0, [1], [1]).Op((byte)'s').Stop();
        byte[] value = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(value, 16777217);
        Assert.Contains("tensor 'steps' (int64) holds 16777217, which float32 cannot represent exactly", Error(pkl, new() { ["0"] = value }));
        Assert.Equal(["steps"], Load(pkl, new() { ["0"] = value }, IntegerTensorHandling.Skip).SkippedIntegerTensors);
        BinaryPrimitives.WriteInt64LittleEndian(value, long.MaxValue);
        Assert.Contains("holds 9223372036854775807", Error(pkl, new() { ["0"] = value }));
    }

    [Theory]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    public void GlobalsOffTheAllowListAreRefusedOnSight(string module, string name)
    {
        // Never called: only named. The refusal happens at GLOBAL, before any REDUCE.
        byte[] pkl = new TorchZipBuilder().Global(module, name).Op((byte)'0', (byte)'N').Stop();
        Assert.Equal($"refusing to load 't.pt': pickle calls {module}.{name}, which is not an allowed tensor constructor.", Error(pkl));
    }

    [Fact]
    public void PickledModulesGetAHint()
    {
        byte[] pkl = new TorchZipBuilder().Global("__main__", "Net").Op((byte)')', (byte)'R').Stop();
        Assert.Contains("save model.state_dict() instead", Error(pkl));
    }

    [Fact]
    public void StructuralPickleErrorsAreNamed()
    {
        Assert.Contains("without a STOP opcode", Error([0x80, 0x02, (byte)'N']));
        Assert.Contains("unsupported pickle opcode 0x49 ('I')", Error([0x80, 0x02, (byte)'I', (byte)'1', (byte)'\n', (byte)'.']));
        Assert.Contains("slot 9, which was never set", Error([0x80, 0x02, (byte)'h', 9, (byte)'.']));
        Assert.Contains("stack is empty", Error([0x80, 0x02, (byte)'0', (byte)'.']));
        Assert.Contains("2 values", Error([0x80, 0x02, (byte)'N', (byte)'N', (byte)'.']));
        Assert.Contains("declares 1000 bytes but the pickle has only 1 left", Error([0x80, 0x02, (byte)'X', 0xE8, 0x03, 0, 0, (byte)'.']));
        Assert.Contains("SETITEM at byte 5 applies to a list", Error([0x80, 0x02, (byte)']', (byte)'N', (byte)'N', (byte)'s', (byte)'.']));
        Assert.Contains("STACK_GLOBAL", Error([0x80, 0x02, (byte)'N', (byte)'N', 0x93, (byte)'.']));
        Assert.Contains("the pickle is cyclic", Error([0x80, 0x02, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.'])); // l = []; l.append(l)
    }

    [Fact]
    public void ScalarsOfEveryKindBecomeMetadata()
    {
        byte[] pkl = new TorchZipBuilder().Op((byte)'}').Mark()
            .Str("i").Op((byte)'K', 5).Str("neg").Op(0x8A, 1, 0xFF).Str("big").Op(0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1)
            .Str("f").Op((byte)'G', 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A).Str("t").Op(0x88).Str("none").Op((byte)'N')
            .Str("s").Op(0x8C, 2, (byte)'h', (byte)'i').Str("l").Op((byte)']', (byte)'K', 1, (byte)'a')
            .Op((byte)'u').Stop();
        var w = Load(pkl);
        Assert.Equal(new Dictionary<string, string>
        {
            ["i"] = "5", ["neg"] = "-1", ["big"] = "18446744073709551616", ["f"] = "0.1", ["t"] = "true", ["s"] = "hi", ["l.0"] = "1",
        }, w.Metadata);
        Assert.Empty(w.Tensors);
    }

    [Fact]
    public void MutatedPicklesNeverEscapeAsAnotherException()
    {
        var rng = new Random(2024);
        int ok = 0, refused = 0;
        foreach (string fixture in new[] { "state_dict.pt", "nested.pt" })
        {
            byte[] original = File.ReadAllBytes(InteropFixtures.PathOf(fixture));
            byte[] pkl = TorchZipBuilder.ReadPickle(original);
            for (int trial = 0; trial < 400; trial++)
            {
                byte[] zip = TorchZipBuilder.ReplacePickle(original, p =>
                {
                    byte[] m = (byte[])p.Clone();
                    switch (trial % 3)
                    {
                        case 0:
                            m[rng.Next(m.Length)] = (byte)rng.Next(256);
                            break;
                        case 1:
                            m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                            m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                            break;
                        default:
                            m = m[..rng.Next(m.Length)];
                            break;
                    }
                    return m;
                });
                try
                {
                    TorchStateDictReader.Read(new MemoryStream(zip), "m.pt");
                    ok++;
                }
                catch (InvalidDataException)
                {
                    refused++;
                }
            }
            Assert.True(pkl.Length > 100);
        }
        Assert.True(refused > 400, $"refused {refused}, loaded {ok}");
    }
}
