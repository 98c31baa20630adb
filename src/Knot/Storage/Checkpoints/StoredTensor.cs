using Knot.Tensors;

namespace Knot.Storage.Checkpoints;

/// <summary>
/// A named tensor's payload as it lives in a file: shape plus contiguous row-major float32 data. A plain data holder
/// (the array is not copied) used by the checkpoint container and the safetensors / PyTorch importers.
/// </summary>
public sealed class StoredTensor
{
    /// <summary>Wraps <paramref name="data"/> (no copy); the shape is copied.</summary>
    public StoredTensor(int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long size = ElementCount(shape, nameof(shape));
        if (size != data.Length)
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) has {size} elements but the data has {data.Length}.", nameof(data));
        Shape = (int[])shape.Clone();
        Data = data;
    }

    public int[] Shape { get; }
    public float[] Data { get; }
    public int Length => Data.Length;

    /// <summary>Copies a Knot tensor's shape and (by default) its data.</summary>
    public static StoredTensor FromTensor(Tensor tensor, bool copyData = true)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new StoredTensor(tensor.Shape.ToArray(), copyData ? (float[])tensor.Data.Clone() : tensor.Data);
    }

    /// <summary>A Knot tensor over this data (shared, not copied).</summary>
    public Tensor ToTensor() => new(new Shape(Shape), Data);

    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    public override string ToString() => $"float32{ShapeText}";

    /// <summary>Product of the dims, checking each is non-negative and the product fits a .NET array.</summary>
    internal static long ElementCount(ReadOnlySpan<int> shape, string paramName)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape has a negative dimension {d}.", paramName);
        if (shape.Contains(0)) return 0;
        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
            if (size > Array.MaxLength)
                throw new ArgumentException($"Shape has more than {Array.MaxLength} elements.", paramName);
        }
        return size;
    }
}
