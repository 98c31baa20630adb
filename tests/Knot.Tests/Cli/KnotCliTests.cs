using Knot.Compression.Growl;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Tensors;
using Knot.Training;
using System.Text.Json.Nodes;

namespace Knot.Tests.Cli;

/// <summary>The pack / inspect / eval verbs on .knot files, through Program.Main (console streams are process-wide: serial).</summary>
[Collection(SerialCollection.Name)]
public sealed class KnotCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        // Not disposed: Spectre's static console keeps the writer it first saw, and must not find it closed later.
        var o = new StringWriter();
        var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Knot.Cli.Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    private string Checkpoint(IReadOnlyDictionary<string, string>? metadata = null, Action<Module>? edit = null)
    {
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10);
        var model = ModelZoo.Create(spec, new KnotRandom(1));
        edit?.Invoke(model);
        string path = Path.Combine(_dir, "m.ckpt");
        ModelCheckpoint.Save(path, spec, model, 1, 1, extraMetadata: metadata);
        return path;
    }

    /// <summary>One error message (Spectre may wrap it at the console width), no stack trace.</summary>
    private static void AssertOneMessage(string err)
    {
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(err, "knot: (input error|invalid value|invalid option|internal error|diverged):"));
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void PackThenInspectReportsTensorsAndRatio()
    {
        string ckpt = Checkpoint(), knot = Path.Combine(_dir, "m.knot");
        var pack = Run("pack", ckpt, "--out", knot, "--json");
        Assert.Equal(0, pack.Code);
        var packed = JsonNode.Parse(pack.Out)!;
        Assert.Equal(new FileInfo(knot).Length, (long)packed["file_bytes"]!);
        var inspect = Run("inspect", knot, "--json");
        Assert.Equal(0, inspect.Code);
        var j = JsonNode.Parse(inspect.Out)!;
        Assert.Equal("lenet-300-100", (string?)j["model"]);
        Assert.Equal(new FileInfo(knot).Length, (long)j["file_bytes"]!);
        var tensors = j["tensors"]!.AsArray();
        Assert.Equal(6, tensors.Count);
        Assert.Equal("fc1.weight", (string?)tensors[0]!["name"]);
        Assert.Equal(32.0, (double)tensors[0]!["value_bits"]!);
        Assert.Equal((double)j["dense_bytes"]! / (double)j["file_bytes"]!, (double)j["ratio"]!, 9);
    }

    [Fact]
    public void PackFinalizesAGrowlCheckpointAndKeepsTheOriginalParameterCount()
    {
        var structure = new List<LayerStructure>();
        string ckpt = Checkpoint(edit: m =>
        {
            var shape = m.NamedParameters().First(p => p.Name == "fc2.weight").Parameter.Shape.ToArray();
            var labels = Enumerable.Range(0, shape[1]).Select(j => j % 3 == 0 ? -1 : j / 6).ToArray();
            structure.Add(new LayerStructure("fc2.weight", shape, labels));
            GrowlStructure.Attach(m, structure);
        });
        ckpt = Checkpoint(new Dictionary<string, string> { ["structure"] = GrowlStructure.ToJson(structure) }, m => GrowlStructure.Attach(m, structure));
        string knot = Path.Combine(_dir, "g.knot");
        Assert.Equal(0, Run("pack", ckpt, "--out", knot).Code);
        var model = global::Knot.Storage.Models.KnotModelFile.Read(knot);
        Assert.Equal(ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(1)).ParameterCount(), model.DenseParameters);
        Assert.Contains(model.Model.Children, c => c.Module is GroupSum);
        Assert.True(model.Model.ParameterCount() < model.DenseParameters);
    }

    [Fact]
    public void EvalOfACorruptKnotFileIsAnInputErrorOnOneLine()
    {
        string ckpt = Checkpoint(), knot = Path.Combine(_dir, "m.knot");
        var pack = Run("pack", ckpt, "--out", knot);
        Assert.True(pack.Code == 0, pack.Err);
        var bytes = File.ReadAllBytes(knot);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(knot, bytes);
        var r = Run("eval", knot, "--data", "mnist");
        Assert.Equal(2, r.Code);
        AssertOneMessage(r.Err);
        Assert.Contains("m.knot", r.Err, StringComparison.Ordinal);
        var inspect = Run("inspect", knot);
        Assert.Equal(2, inspect.Code);
    }

    [Fact]
    public void PruneWithoutARuleIsAUsageError()
    {
        var r = Run("prune", "--from", Checkpoint(), "--data", "mnist", "--sparsity", "fc1=2", "--out", Path.Combine(_dir, "p.ckpt"));
        Assert.True(r.Code == 1, $"exit code {r.Code}: {r.Err}");
        AssertOneMessage(r.Err);
    }
}
