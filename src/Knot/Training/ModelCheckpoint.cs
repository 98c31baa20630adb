using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Storage.Checkpoints;
using Knot.Tensors;

namespace Knot.Training;

/// <summary>A model rebuilt from a checkpoint, with what is needed to resume its training.</summary>
public sealed record LoadedModel(ModelSpec Spec, Module Model, Checkpoint Checkpoint, int EpochsDone, ulong Seed,
    OptimizerConfig? Optimizer, List<EpochRecord> History, string Path);

/// <summary>
/// Maps a zoo model, its optimizer, the RNG states of its modules and the epoch history onto the checkpoint
/// container. Tensor names: "model/{param}", "buffer/{name}", "optim/{group}.{index}.{slot}"; RNG states are
/// blobs "rng/{module}". Metadata: knot.kind=model, model.spec (JSON), epochs_done, seed, optimizer (JSON),
/// optimizer.steps, history (JSON).
/// </summary>
public static class ModelCheckpoint
{
    public const string KindKey = "knot.kind";

    /// <summary>Metrics can be NaN or ∞ (e.g. compression with every group removed): written as named literals.</summary>
    private static readonly JsonSerializerOptions HistoryJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(string path, ModelSpec spec, Module model, int epochsDone, ulong seed,
        Optimizer? optimizer = null, OptimizerConfig? optimizerConfig = null, IEnumerable<EpochRecord>? history = null,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var ckpt = new Checkpoint();
        ckpt.Metadata[KindKey] = "model";
        ckpt.Metadata["model.spec"] = spec.ToJson();
        ckpt.Metadata["epochs_done"] = epochsDone.ToString(CultureInfo.InvariantCulture);
        ckpt.Metadata["seed"] = seed.ToString(CultureInfo.InvariantCulture);
        if (history is not null) ckpt.Metadata["history"] = JsonSerializer.Serialize(history.ToList(), HistoryJson);
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) ckpt.Metadata[k] = v;
        foreach (var (name, p) in model.NamedParameters()) ckpt.AddTensor("model/" + name, p.Value);
        foreach (var (name, b) in model.NamedBuffers()) ckpt.AddTensor("buffer/" + name, b);
        foreach (var (name, module) in model.NamedModules())
            if (module is IRandomStateOwner owner) ckpt.AddBlob("rng/" + name, EncodeRandom(owner.Random.SaveState()));
        if (optimizer is not null)
        {
            if (optimizerConfig is not null) ckpt.Metadata["optimizer"] = optimizerConfig.ToJson();
            ckpt.Metadata["optimizer.steps"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            foreach (var (name, state) in optimizer.StateTensors()) ckpt.AddTensor("optim/" + name, state);
        }
        CheckpointFile.Write(path, ckpt);
    }

    public static LoadedModel Load(string path)
    {
        var ckpt = CheckpointFile.Read(path);
        string source = System.IO.Path.GetFileName(path);
        if (!ckpt.Metadata.TryGetValue(KindKey, out var kind) || kind != "model")
            throw new InvalidDataException($"{source}: not a Knot model checkpoint (metadata '{KindKey}' is '{kind ?? "missing"}', expected 'model').");
        var spec = ModelSpec.FromJson(Require(ckpt, "model.spec", source), source);
        Module model;
        try
        {
            model = ModelZoo.Create(spec, new KnotRandom(0));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        LoadInto(ckpt, model, source);
        int epochs = ParseInt(Require(ckpt, "epochs_done", source), "epochs_done", source);
        ulong seed = ulong.TryParse(Require(ckpt, "seed", source), CultureInfo.InvariantCulture, out var s) ? s
            : throw new InvalidDataException($"{source}: metadata 'seed' is not an unsigned integer.");
        var optimizer = ckpt.Metadata.TryGetValue("optimizer", out var o) ? OptimizerConfig.FromJson(o, source) : null;
        var history = ckpt.Metadata.TryGetValue("history", out var h) ? DeserializeHistory(h, source) : [];
        return new LoadedModel(spec, model, ckpt, epochs, seed, optimizer, history, path);
    }

    /// <summary>Copies parameters, buffers and RNG states into a model of the same architecture; names and shapes must match.</summary>
    public static void LoadInto(Checkpoint ckpt, Module model, string source)
    {
        foreach (var (name, p) in model.NamedParameters()) CopyInto(ckpt, "model/" + name, p.Value, source);
        foreach (var (name, b) in model.NamedBuffers()) CopyInto(ckpt, "buffer/" + name, b, source);
        foreach (var (name, module) in model.NamedModules())
        {
            if (module is not IRandomStateOwner owner) continue;
            if (!ckpt.Blobs.TryGetValue("rng/" + name, out var blob))
                throw new InvalidDataException($"{source}: random state of module '{name}' is missing.");
            owner.Random.RestoreState(DecodeRandom(blob, source));
        }
    }

    public static void LoadOptimizer(LoadedModel loaded, Optimizer optimizer)
    {
        var states = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, stored) in loaded.Checkpoint.Tensors)
            if (name.StartsWith("optim/", StringComparison.Ordinal)) states[name["optim/".Length..]] = Tensor.FromArray(stored.Data, stored.Data.Length);
        long steps = loaded.Checkpoint.Metadata.TryGetValue("optimizer.steps", out var s) && long.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : 0;
        optimizer.LoadState(states, steps);
    }

    private static void CopyInto(Checkpoint ckpt, string key, Tensor destination, string source)
    {
        if (!ckpt.Tensors.TryGetValue(key, out var stored))
            throw new InvalidDataException($"{source}: tensor '{key}' is missing; the checkpoint was made for a different model.");
        if (!stored.Shape.AsSpan().SequenceEqual(destination.Shape.Dims))
            throw new InvalidDataException($"{source}: tensor '{key}' has shape ({string.Join(", ", stored.Shape)}) but the model expects {destination.Shape}.");
        stored.Data.AsSpan().CopyTo(destination.Data);
    }

    private static string Require(Checkpoint ckpt, string key, string source) =>
        ckpt.Metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{source}: metadata '{key}' is missing.");

    private static int ParseInt(string text, string key, string source) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new InvalidDataException($"{source}: metadata '{key}' is '{text}', expected a non-negative integer.");

    private static List<EpochRecord> DeserializeHistory(string json, string source)
    {
        try { return JsonSerializer.Deserialize<List<EpochRecord>>(json, HistoryJson) ?? []; }
        catch (JsonException e) { throw new InvalidDataException($"{source}: training history is not valid JSON ({e.Message}).", e); }
    }

    private static byte[] EncodeRandom(RandomState s)
    {
        var bytes = new byte[41];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0), s.S0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), s.S1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), s.S2);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), s.S3);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(32), s.SpareNormal);
        bytes[40] = s.HasSpare ? (byte)1 : (byte)0;
        return bytes;
    }

    private static RandomState DecodeRandom(byte[] b, string source)
    {
        if (b.Length != 41) throw new InvalidDataException($"{source}: random state blob has {b.Length} bytes, expected 41.");
        return new RandomState(BinaryPrimitives.ReadUInt64LittleEndian(b), BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(8)),
            BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(16)), BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(24)),
            BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(32)), b[40] == 1);
    }
}
