using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;

namespace Knot.Storage.Models;

/// <summary>How one parameter is stored: an optional codebook its non-zeros lie on, and an optional forced encoding.</summary>
public sealed record TensorStoragePlan(float[]? Codebook = null, EncodingRequest? Encoding = null);

/// <summary>A model read back from a .knot file: the rebuilt network, its file and what it was compressed from.</summary>
public sealed record KnotModel(Sequential Model, KnotFile File, ModelSpec? Spec, long DenseParameters, string Source)
{
    /// <summary>Real compression ratio: dense float32 bytes of the original model / bytes of the file.</summary>
    public double Ratio => 4.0 * DenseParameters / File.FileBytes;

    public long DenseBytes => 4L * DenseParameters;
}

/// <summary>
/// Maps a <see cref="Sequential"/> network onto the .knot container. Metadata: knot.kind = "model",
/// knot.architecture = <see cref="Architecture.Describe"/> JSON, model.spec (zoo models), dense_parameters (the
/// original model's parameter count — after GrOWL the file holds fewer, and the ratio must divide the original's
/// bytes). Tensors: every parameter and buffer under its dotted name ("fc1.weight", "bn.running_mean"); each gets the
/// writer's cheapest encoding unless a <see cref="TensorStoragePlan"/> forces one. A GroupSum's labels (GrOWL's
/// tied/removed inputs, one per input) are stored as a bit-packed int table "NAME.labels" that the architecture entry
/// names in "labels_tensor" (JSON text cost 3–4 bytes a label, a sizeable share of a well-compressed file); files whose
/// architecture lists the labels inline still read.
/// </summary>
public static class KnotModelFile
{
    public const string KindKey = "knot.kind";
    public const string ArchitectureKey = "knot.architecture";
    public const string SpecKey = "model.spec";
    public const string DenseParametersKey = "dense_parameters";

    /// <summary>Suffix of the int table that holds a GroupSum layer's labels.</summary>
    public const string LabelsSuffix = ".labels";

    public static void Write(string path, Sequential model, ModelSpec? spec, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlyDictionary<string, TensorStoragePlan>? plans = null, long? denseParameters = null)
        => CreateWriter(model, spec, metadata, plans, denseParameters).Write(path);

    public static byte[] ToBytes(Sequential model, ModelSpec? spec, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlyDictionary<string, TensorStoragePlan>? plans = null, long? denseParameters = null)
        => CreateWriter(model, spec, metadata, plans, denseParameters).ToArray();

    public static KnotFileWriter CreateWriter(Sequential model, ModelSpec? spec, IReadOnlyDictionary<string, string>? metadata,
        IReadOnlyDictionary<string, TensorStoragePlan>? plans, long? denseParameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        long dense = denseParameters ?? model.ParameterCount();
        if (dense < 1) throw new ArgumentOutOfRangeException(nameof(denseParameters), dense, "The original model's parameter count must be >= 1.");
        var writer = new KnotFileWriter { CompressMetadata = true };
        if (metadata is not null) foreach (var (k, v) in metadata) writer.Metadata[k] = v;
        writer.Metadata[KindKey] = "model";
        var architecture = Architecture.Describe(model);
        foreach (var node in architecture)
        {
            if (node is JsonObject o && o["type"]?.GetValue<string>() == "groupsum" && o["labels"] is JsonArray labels)
            {
                string table = o["name"]!.GetValue<string>() + LabelsSuffix;
                int[] values = labels.Select(v => v!.GetValue<int>()).ToArray();
                writer.AddIndexTable(table, values, [values.Length]);
                o.Remove("labels");
                o["labels_tensor"] = table;
            }
        }
        writer.Metadata[ArchitectureKey] = architecture.ToJsonString();
        if (spec is not null) writer.Metadata[SpecKey] = spec.ToJson();
        writer.Metadata[DenseParametersKey] = dense.ToString(CultureInfo.InvariantCulture);
        var names = new HashSet<string>(StringComparer.Ordinal);
        // Plans that pass the same codebook array share one stored codebook (soft weight-sharing: one for the model).
        var codebooks = new Dictionary<float[], int>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters())
        {
            names.Add(name);
            var plan = plans is not null && plans.TryGetValue(name, out var pl) ? pl : null;
            int? codebook = null;
            if (plan?.Codebook is float[] cb)
            {
                if (!codebooks.TryGetValue(cb, out int id)) codebooks[cb] = id = writer.AddCodebook(cb);
                codebook = id;
            }
            writer.AddTensor(name, p.Value, plan?.Encoding, codebook);
        }
        foreach (var (name, b) in model.NamedBuffers()) writer.AddTensor(name, b);
        if (plans is not null)
        {
            foreach (var key in plans.Keys)
                if (!names.Contains(key)) throw new ArgumentException($"A storage plan names '{key}', which is not a parameter of the model.", nameof(plans));
        }
        return writer;
    }

    public static KnotModel Read(string path)
    {
        var file = KnotFile.Read(path);
        return FromFile(file, Path.GetFileName(path));
    }

    /// <summary>Rebuilds the network described by a parsed file and loads its (decoded) weights.</summary>
    public static KnotModel FromFile(KnotFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Metadata.TryGetValue(KindKey, out var kind) || kind != "model")
            throw new InvalidDataException($"{source}: not a Knot model file (metadata '{KindKey}' is '{kind ?? "missing"}', expected 'model').");
        var model = BuildArchitecture(file, source);
        ModelSpec? spec = file.Metadata.TryGetValue(SpecKey, out var s) ? ModelSpec.FromJson(s, source) : null;
        long dense = file.Metadata.TryGetValue(DenseParametersKey, out var d) && long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new InvalidDataException($"{source}: metadata '{DenseParametersKey}' is '{d ?? "missing"}', expected a positive integer.");
        foreach (var (name, p) in model.NamedParameters()) Load(file, name, p.Value, source);
        foreach (var (name, b) in model.NamedBuffers()) Load(file, name, b, source);
        model.Eval();
        return new KnotModel(model, file, spec, dense, source);
    }

    /// <summary>The network of the file's architecture metadata with zero (not loaded) weights.</summary>
    public static Sequential BuildArchitecture(KnotFile file, string source)
    {
        if (!file.Metadata.TryGetValue(ArchitectureKey, out var json))
            throw new InvalidDataException($"{source}: metadata '{ArchitectureKey}' is missing.");
        JsonArray layers;
        try
        {
            layers = JsonNode.Parse(json) as JsonArray ?? throw new InvalidDataException($"{source}: '{ArchitectureKey}' is not a JSON array.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: '{ArchitectureKey}' is not valid JSON ({e.Message}).", e);
        }
        int index = 0;
        foreach (var node in layers)
        {
            if (node is JsonObject o && o["labels"] is null && o["labels_tensor"] is JsonValue v && v.TryGetValue<string>(out var table))
            {
                if (!file.TryGetTensor(table, out var t) || t is not IndexTableKnotTensor ints || t.Shape.Rank != 1)
                    throw new InvalidDataException($"{source}: layer {index} names labels tensor '{table}', which is missing or not a rank-1 int table.");
                o["labels"] = new JsonArray(ints.Values.Select(l => (JsonNode)l).ToArray());
            }
            index++;
        }
        return Architecture.Build(layers, source);
    }

    private static void Load(KnotFile file, string name, Tensors.Tensor destination, string source)
    {
        if (!file.TryGetTensor(name, out var t))
            throw new InvalidDataException($"{source}: tensor '{name}' is missing; the file does not match its architecture.");
        if (t is not KnotFloatTensor f)
            throw new InvalidDataException($"{source}: tensor '{name}' holds {t.ElementType}, expected float32.");
        if (!t.Shape.Dims.SequenceEqual(destination.Shape.Dims))
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.Shape} but the architecture expects {destination.Shape}.");
        f.DecodeTo(destination.Data);
    }
}
