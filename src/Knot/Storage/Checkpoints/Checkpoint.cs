using Knot.Tensors;

namespace Knot.Storage.Checkpoints;

/// <summary>
/// In-memory contents of a Knot checkpoint: string metadata (model name, config JSON, epoch, step, RNG state,
/// optimizer kind, ...), named float32 tensors in a stable order (parameters, buffers, optimizer state such as
/// "optim/fc1.weight/exp_avg") and named raw byte blobs for anything else. Read and written by <see cref="CheckpointFile"/>.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>Free-form metadata. Written sorted by key (ordinal) so equal checkpoints give equal bytes.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensors in insertion order (the order is preserved through a write/read round trip).</summary>
    public OrderedDictionary<string, StoredTensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Opaque byte blobs in insertion order.</summary>
    public OrderedDictionary<string, byte[]> Blobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor that wraps <paramref name="data"/> (no copy).</summary>
    public void AddTensor(string name, int[] shape, float[] data)
    {
        CheckName(name, nameof(name));
        if (!Tensors.TryAdd(name, new StoredTensor(shape, data)))
            throw new ArgumentException($"The checkpoint already has a tensor named '{name}'.", nameof(name));
    }

    /// <summary>Adds a copy of a Knot tensor's current values.</summary>
    public void AddTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        AddTensor(name, tensor.Shape.ToArray(), (float[])tensor.Data.Clone());
    }

    public void AddBlob(string name, byte[] bytes)
    {
        CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(bytes);
        if (!Blobs.TryAdd(name, bytes))
            throw new ArgumentException($"The checkpoint already has a blob named '{name}'.", nameof(name));
    }

    /// <summary>The tensor called <paramref name="name"/>; a missing name throws and lists what is there.</summary>
    public StoredTensor GetTensor(string name)
    {
        if (Tensors.TryGetValue(name, out var t)) return t;
        throw new KeyNotFoundException($"The checkpoint has no tensor '{name}'. It has {Tensors.Count}: {Preview(Tensors.Keys)}.");
    }

    /// <summary>The metadata value for <paramref name="key"/>; a missing key throws and lists what is there.</summary>
    public string GetMetadata(string key)
    {
        if (Metadata.TryGetValue(key, out var v)) return v;
        throw new KeyNotFoundException($"The checkpoint has no metadata '{key}'. It has: {Preview(Metadata.Keys.Order(StringComparer.Ordinal))}.");
    }

    /// <summary>Copies the tensor's values into an existing Knot tensor of the same shape (e.g. a model parameter).</summary>
    public void CopyTensorTo(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var t = GetTensor(name);
        if (!destination.Shape.Dims.SequenceEqual(t.Shape))
            throw new ArgumentException($"Checkpoint tensor '{name}' has shape {t.ShapeText} but the destination has shape {destination.Shape}.", nameof(destination));
        t.Data.AsSpan().CopyTo(destination.Data);
    }

    internal static void CheckName(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (name.Length == 0) throw new ArgumentException("Names in a checkpoint must not be empty.", paramName);
    }

    private static string Preview(IEnumerable<string> names)
    {
        var list = names.Take(21).ToList();
        string text = string.Join(", ", list.Take(20).Select(n => $"'{n}'"));
        return list.Count > 20 ? text + ", ..." : (list.Count == 0 ? "(none)" : text);
    }
}
