using Knot.Comparison;
using Knot.Compression.Growl;
using Knot.Inference;
using Knot.Models;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Comparison;

/// <summary>The sweep's packing of group-regularized checkpoints: dead groups and the units feeding them leave the file; outputs do not change.</summary>
public sealed class CheckpointPackerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-packer-" + Guid.NewGuid().ToString("N"));

    public CheckpointPackerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static void ZeroInputs(Knot.Nn.Parameter weight, Func<int, bool> dead)
    {
        int rows = weight.Shape[0], cols = weight.Shape[1];
        for (int j = 0; j < cols; j++)
            if (dead(j)) for (int i = 0; i < rows; i++) weight.Value.Data[i * cols + j] = 0f;
    }

    [Fact]
    public void RemovingZeroGroupsShrinksTheFileAndKeepsTheOutputs()
    {
        var spec = ModelZoo.DefaultSpec("lenet-300-100", 1f);
        var model = ModelZoo.Create(spec, new KnotRandom(3));
        var p = model.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        ZeroInputs(p["fc1.weight"], j => j % 3 != 0);  // two thirds of the pixels unused
        ZeroInputs(p["fc2.weight"], j => j % 4 != 0);  // three quarters of fc1's units unused: their rows can go
        string ckpt = Path.Combine(_dir, "m.ckpt");
        ModelCheckpoint.Save(ckpt, spec, model, 1, 1);

        var plain = CheckpointPacker.Pack(ckpt, Path.Combine(_dir, "plain.knot"));
        var finalized = CheckpointPacker.PackRemovingZeroGroups(ckpt, Path.Combine(_dir, "final.knot"), new RegularizerSpec { Kind = "group-lasso", Lambda1 = 1 });
        Assert.Equal(plain.DenseBytes, finalized.DenseBytes);
        Assert.True(finalized.FileBytes * 2 < plain.FileBytes, $"{finalized.FileBytes} vs {plain.FileBytes}");

        var rng = new KnotRandom(5);
        var x = Tensor.Zeros(8, 1, 28, 28);
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = (float)rng.NextDouble();
        model.Eval();
        Tensor expected;
        using (Knot.Autograd.GradMode.NoGrad()) expected = model.Forward(x);
        var actual = CompressedModel.Load(finalized.OutPath).Forward(x);
        for (int i = 0; i < expected.Data.Length; i++) Assert.Equal(expected.Data[i], actual.Data[i], 4);
    }

    [Fact]
    public void ALayerWithEveryGroupZeroIsStoredAsItIs()
    {
        var spec = ModelZoo.DefaultSpec("lenet-300-100", 1f);
        var model = ModelZoo.Create(spec, new KnotRandom(3));
        ZeroInputs(model.NamedParameters().Single(x => x.Name == "fc3.weight").Parameter, _ => true);
        string ckpt = Path.Combine(_dir, "dead.ckpt");
        ModelCheckpoint.Save(ckpt, spec, model, 1, 1);
        var packed = CheckpointPacker.PackRemovingZeroGroups(ckpt, Path.Combine(_dir, "dead.knot"), new RegularizerSpec { Kind = "group-lasso", Lambda1 = 1 });
        Assert.Equal(new FileInfo(packed.OutPath).Length, packed.FileBytes);
    }
}
