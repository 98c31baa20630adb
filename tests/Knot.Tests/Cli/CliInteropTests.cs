using Knot.Cli;
using Knot.Storage.Checkpoints;
using Knot.Storage.Interop;
using Knot.Training;

namespace Knot.Tests.Cli;

[Collection(SerialCollection.Name)]
public sealed class CliInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void ExportThenImportGivesTheSameWeights()
    {
        var spec = Knot.Models.ModelZoo.DefaultSpec("growl-mnist", 0.1f);
        var model = Knot.Models.ModelZoo.Create(spec, new Knot.Tensors.KnotRandom(4));
        ModelCheckpoint.Save(P("a.ckpt"), spec, model, 0, 4);
        Assert.Equal(0, CliHarness.Run("export", P("a.ckpt"), "--out", P("a.safetensors")).Code);
        var r = CliHarness.Run("import", P("a.safetensors"), "--model", "growl-mnist", "--width", "0.1", "--out", P("b.ckpt"));
        Assert.True(r.Code == 0, r.Err);
        var back = ModelCheckpoint.Load(P("b.ckpt")).Model;
        var expected = model.NamedParameters().Select(p => p.Parameter.Value.Data).Concat(model.NamedBuffers().Select(b => b.Buffer.Data)).ToList();
        var actual = back.NamedParameters().Select(p => p.Parameter.Value.Data).Concat(back.NamedBuffers().Select(b => b.Buffer.Data)).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void DataParallelPrefixesAreStrippedAndMismatchesNamed()
    {
        var spec = Knot.Models.ModelZoo.DefaultSpec("lenet-300-100", 0.1f);
        var model = Knot.Models.ModelZoo.Create(spec, new Knot.Tensors.KnotRandom(5));
        var tensors = new OrderedDictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters()) tensors["module." + name] = StoredTensor.FromTensor(p.Value);
        SafetensorsFile.Write(P("dp.safetensors"), tensors);
        Assert.Equal(0, CliHarness.Run("import", P("dp.safetensors"), "--model", "lenet-300-100", "--width", "0.1", "--out", P("dp.ckpt")).Code);

        var r = CliHarness.Run("import", P("dp.safetensors"), "--model", "growl-mnist", "--width", "0.1", "--out", P("wrong.ckpt"));
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("fc3.weight", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(P("wrong.ckpt")));
    }
}
