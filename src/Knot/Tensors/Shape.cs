namespace Knot.Tensors;

/// <summary>An immutable tensor shape (row-major). Images are NCHW; a Linear weight is (out, in).</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long size = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"Shape dimensions must be >= 0, got [{string.Join(", ", dims)}].", nameof(dims));
            size *= d;
            if (size > Array.MaxLength) throw new ArgumentException($"Shape [{string.Join(", ", dims)}] has more than {Array.MaxLength} elements.", nameof(dims));
        }
        _dims = (int[])dims.Clone();
        Size = (int)size;
    }

    public int Rank => _dims.Length;
    public int Size { get; }
    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];
    public ReadOnlySpan<int> Dims => _dims;
    public int[] ToArray() => (int[])_dims.Clone();

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }
    public override string ToString() => "(" + string.Join(", ", _dims) + ")";
    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Shape? a, Shape? b) => !(a == b);
}
