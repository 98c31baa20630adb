using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>
/// How importers treat integer and bool tensors (e.g. BatchNorm's int64 num_batches_tracked). Knot tensors are
/// float32, so an integer tensor either becomes float32 or is left out.
/// </summary>
public enum IntegerTensorHandling
{
    /// <summary>
    /// Default. Convert to float32 when every value is exactly representable (always true for 8/16-bit ints and
    /// bools, which become 0/1; true for 32/64-bit ints up to 2^24 in magnitude and many beyond); otherwise the import
    /// fails with an <see cref="InvalidDataException"/> naming the tensor and the value, rather than silently rounding.
    /// </summary>
    ConvertExact,

    /// <summary>Leave integer and bool tensors out; their names are listed in <see cref="ImportedWeights.SkippedIntegerTensors"/>.</summary>
    Skip,
}

/// <summary>Tensors (flat dotted names, file order, converted to float32) and metadata read from a foreign weights file.</summary>
public sealed class ImportedWeights
{
    internal ImportedWeights(string source) => Source = source;

    /// <summary>The file name the weights came from (used in messages).</summary>
    public string Source { get; }

    public OrderedDictionary<string, StoredTensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// safetensors: the "__metadata__" object. PyTorch: every non-tensor leaf of the pickled object under its dotted
    /// path ("epoch" → "7", "optimizer.param_groups.0.lr" → "0.1"); bools are "true"/"false"; None is left out.
    /// </summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>The element type each tensor had in the file, in PyTorch spelling ("float32", "float16", "bfloat16", "int64", ...).</summary>
    public Dictionary<string, string> SourceDtypes { get; } = new(StringComparer.Ordinal);

    /// <summary>Integer/bool tensors left out under <see cref="IntegerTensorHandling.Skip"/>.</summary>
    public List<string> SkippedIntegerTensors { get; } = [];

    /// <summary>Copies the tensors into a checkpoint (with the metadata prefixed by "import/" so it cannot clash).</summary>
    public Checkpoint ToCheckpoint()
    {
        var c = new Checkpoint();
        foreach (var (name, t) in Tensors) c.Tensors.Add(name, t);
        foreach (var (key, value) in Metadata) c.Metadata["import/" + key] = value;
        c.Metadata["import/source"] = Source;
        return c;
    }
}
