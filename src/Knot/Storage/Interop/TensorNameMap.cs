using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>
/// Maps tensor names from another framework's layout onto Knot's. Knot already uses PyTorch's convention
/// ("fc1.weight", "bn.running_mean", Linear weights as (out, in)), so usually only wrappers need removing:
/// <c>new TensorNameMap().Select("model").StripPrefix("module.")</c> turns "model.module.fc1.weight" (a training
/// checkpoint of a DataParallel/DDP model) into "fc1.weight". Rules run in the order they were added; a name a
/// <see cref="Select"/> rule does not cover, or a <see cref="Drop"/> rule matches, is left out.
/// </summary>
public sealed class TensorNameMap
{
    private readonly List<Func<string, string?>> _rules = [];

    /// <summary>Prefixes that wrappers add: DataParallel/DistributedDataParallel ("module.") and torch.compile ("_orig_mod.").</summary>
    public static IReadOnlyList<string> WrapperPrefixes { get; } = ["module.", "_orig_mod."];

    /// <summary>Keeps only names under <paramref name="container"/> ("model" keeps "model.x" as "x").</summary>
    public TensorNameMap Select(string container)
    {
        ArgumentException.ThrowIfNullOrEmpty(container);
        string prefix = container.EndsWith('.') ? container : container + ".";
        _rules.Add(n => n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : null);
        return this;
    }

    /// <summary>Removes <paramref name="prefix"/> from names that start with it; other names pass unchanged.</summary>
    public TensorNameMap StripPrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _rules.Add(n => n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : n);
        return this;
    }

    /// <summary>Strips every prefix in <see cref="WrapperPrefixes"/>, repeatedly (a compiled DDP model has both).</summary>
    public TensorNameMap StripWrapperPrefixes()
    {
        _rules.Add(n =>
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                foreach (string p in WrapperPrefixes)
                    if (n.StartsWith(p, StringComparison.Ordinal)) { n = n[p.Length..]; changed = true; }
            }
            return n;
        });
        return this;
    }

    /// <summary>Replaces a leading <paramref name="from"/> with <paramref name="to"/> ("features.0." → "conv1.").</summary>
    public TensorNameMap ReplacePrefix(string from, string to)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentNullException.ThrowIfNull(to);
        _rules.Add(n => n.StartsWith(from, StringComparison.Ordinal) ? to + n[from.Length..] : n);
        return this;
    }

    /// <summary>Renames one exact name.</summary>
    public TensorNameMap Rename(string from, string to)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        _rules.Add(n => n == from ? to : n);
        return this;
    }

    /// <summary>Leaves out names matching the predicate (e.g. n => n.EndsWith(".num_batches_tracked")).</summary>
    public TensorNameMap Drop(Func<string, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        _rules.Add(n => predicate(n) ? null : n);
        return this;
    }

    /// <summary>The mapped name, or null when a rule leaves the name out.</summary>
    public string? Map(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? n = name;
        foreach (var rule in _rules)
        {
            n = rule(n);
            if (n is null) return null;
        }
        return n.Length == 0 ? null : n;
    }

    /// <summary>Applies the map to every name, keeping order and sharing (not copying) the tensors.</summary>
    /// <exception cref="ArgumentException">Two names map to the same name.</exception>
    public OrderedDictionary<string, StoredTensor> Apply(OrderedDictionary<string, StoredTensor> tensors, string source = "weights")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new OrderedDictionary<string, StoredTensor>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            string? mapped = Map(name);
            if (mapped is null) continue;
            if (!origin.TryAdd(mapped, name))
                throw new ArgumentException($"{source}: both '{origin[mapped]}' and '{name}' map to '{mapped}'.", nameof(tensors));
            result.Add(mapped, t);
        }
        return result;
    }
}
