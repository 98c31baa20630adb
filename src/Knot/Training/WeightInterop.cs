using Knot.Models;
using Knot.Nn;
using Knot.Storage.Checkpoints;
using Knot.Storage.Interop;
using Knot.Tensors;

namespace Knot.Training;

/// <summary>
/// Dense weights in and out of the formats PyTorch users already have. Import reads safetensors or a
/// <c>torch.save</c> state_dict (restricted unpickler, never executes code), strips wrapper prefixes
/// ("module.", "_orig_mod.") and an optional container ("state_dict", "model"), drops PyTorch's
/// num_batches_tracked counters, and requires an exact name/shape match with the zoo model.
/// </summary>
public static class WeightInterop
{
    public static Module Import(string path, ModelSpec spec, string? container = null)
    {
        var weights = WeightImporter.Read(path, IntegerTensorHandling.Skip);
        var map = new TensorNameMap();
        if (container is not null) map = map.Select(container);
        map = map.StripWrapperPrefixes().Drop(n => n.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        var tensors = map.Apply(weights.Tensors);
        var model = ModelZoo.Create(spec, new KnotRandom(0));
        var expected = model.NamedParameters().Select(p => new KeyValuePair<string, int[]>(p.Name, p.Parameter.Shape.ToArray()))
            .Concat(model.NamedBuffers().Select(b => new KeyValuePair<string, int[]>(b.Name, b.Buffer.Shape.ToArray())));
        string source = Path.GetFileName(path);
        WeightMatch.Compare(tensors, expected).ThrowIfNotExact(source);
        foreach (var (name, p) in model.NamedParameters()) tensors[name].Data.AsSpan().CopyTo(p.Value.Data);
        foreach (var (name, b) in model.NamedBuffers()) tensors[name].Data.AsSpan().CopyTo(b.Data);
        return model;
    }

    /// <summary>Parameters and buffers under their PyTorch names, float32, with the model spec in __metadata__.</summary>
    public static void ExportSafetensors(string path, Module model, ModelSpec? spec)
    {
        var tensors = new OrderedDictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters()) tensors[name] = StoredTensor.FromTensor(p.Value);
        foreach (var (name, b) in model.NamedBuffers()) tensors[name] = StoredTensor.FromTensor(b);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (spec is not null) metadata["knot.model.spec"] = spec.ToJson();
        SafetensorsFile.Write(path, tensors, metadata);
    }
}
