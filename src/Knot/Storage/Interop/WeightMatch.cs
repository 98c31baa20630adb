using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>
/// How a set of loaded tensors lines up with the tensors a model expects, like PyTorch's strict load_state_dict:
/// names the model needs but the file lacks, names the file has but the model does not, and shape mismatches.
/// </summary>
public sealed class WeightMatch
{
    private WeightMatch(List<string> missing, List<string> unexpected, List<string> shapeMismatches)
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    public IReadOnlyList<string> Missing { get; }
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>One line per mismatch: "fc1.weight: file (3, 4), model (4, 3)".</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    public static WeightMatch Compare(OrderedDictionary<string, StoredTensor> loaded, IEnumerable<KeyValuePair<string, int[]>> expected)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(expected);
        var missing = new List<string>();
        var mismatches = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            seen.Add(name);
            if (!loaded.TryGetValue(name, out var t)) missing.Add(name);
            else if (!t.Shape.AsSpan().SequenceEqual(shape))
                mismatches.Add($"{name}: file {t.ShapeText}, model ({string.Join(", ", shape)})");
        }
        var unexpected = loaded.Keys.Where(k => !seen.Contains(k)).ToList();
        return new WeightMatch(missing, unexpected, mismatches);
    }

    /// <summary>Throws unless the match is exact (or, with <paramref name="allowUnexpected"/>, has only extra tensors).</summary>
    public void ThrowIfNotExact(string source, bool allowUnexpected = false)
    {
        if (Missing.Count == 0 && ShapeMismatches.Count == 0 && (allowUnexpected || Unexpected.Count == 0)) return;
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"missing {Missing.Count}: {List(Missing)}");
        if (!allowUnexpected && Unexpected.Count > 0) parts.Add($"unexpected {Unexpected.Count}: {List(Unexpected)}");
        if (ShapeMismatches.Count > 0) parts.Add($"shape mismatches {ShapeMismatches.Count}: {string.Join("; ", ShapeMismatches.Take(10))}");
        throw new InvalidDataException($"{source}: the weights do not match the model ({string.Join("; ", parts)}).");
    }

    private static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10).Select(n => $"'{n}'")) + (names.Count > 10 ? ", ..." : "");
}
