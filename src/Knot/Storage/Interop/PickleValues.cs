namespace Knot.Storage.Interop;

// The only values the restricted unpickler ever creates. Python None is C# null; ints are long (or BigInteger when
// LONG1/LONG4 carry more than 64 bits), floats double, str string, bytes byte[], bool bool.

/// <summary>A Python tuple.</summary>
internal sealed record PyTuple(object?[] Items);

/// <summary>A Python list.</summary>
internal sealed class PyList
{
    public List<object?> Items { get; } = [];
}

/// <summary>A Python dict or collections.OrderedDict; keeps insertion order, later SETITEMs of a key overwrite.</summary>
internal sealed class PyDict
{
    private readonly Dictionary<object, int> _index = [];
    private readonly List<KeyValuePair<object, object?>> _items = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    /// <summary>Attributes set by BUILD (an OrderedDict state_dict carries '_metadata' with module versions).</summary>
    public object? State { get; set; }

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }
}

/// <summary>A reference to an allow-listed global (module.name), produced by GLOBAL / STACK_GLOBAL.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>Element type of a torch storage, with its size in bytes.</summary>
internal enum TorchDtype
{
    Float32,
    Float64,
    Float16,
    BFloat16,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
}

/// <summary>A torch storage named by a persistent id ('storage', type, key, location, numel).</summary>
internal sealed record TorchStorageRef(TorchDtype Dtype, string Key, string Location, long ElementCount);

/// <summary>A strided view of a storage, produced by torch._utils._rebuild_tensor_v2.</summary>
internal sealed record TorchTensorRef(TorchStorageRef Storage, long StorageOffset, long[] Size, long[] Stride);
