using System.Numerics.Tensors;
using Knot.Compression.Proximal;

namespace Knot.Compression.Tying;

/// <summary>
/// Selected groups of a layer copied out as contiguous vectors (row g of a count × GroupSize matrix), so that the
/// pairwise work of similarity and clustering reads memory sequentially instead of through strided columns.
/// </summary>
public sealed class GroupVectors
{
    private readonly float[] _data;
    private readonly double[] _squaredNorms;
    private readonly int[] _groups;

    public GroupVectors(ReadOnlySpan<float> weights, GroupLayout layout, ReadOnlySpan<int> groups)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckLength(weights.Length, nameof(weights));
        Size = layout.GroupSize;
        _groups = groups.ToArray();
        _data = new float[(long)_groups.Length * Size <= Array.MaxLength
            ? _groups.Length * Size
            : throw new ArgumentException($"{_groups.Length} groups of {Size} floats do not fit in one array.", nameof(groups))];
        _squaredNorms = new double[_groups.Length];
        for (int i = 0; i < _groups.Length; i++)
        {
            var v = _data.AsSpan(i * Size, Size);
            layout.CopyGroup(weights, _groups[i], v);
            // Dot(v, v), not SumOfSquares: the same routine computes ⟨g_i, g_j⟩, so identical groups give exactly S = 1.
            _squaredNorms[i] = TensorPrimitives.Dot(v, v);
            if (!double.IsFinite(_squaredNorms[i]))
                throw new ArgumentException($"Group {_groups[i]} of {layout} contains NaN or Inf.", nameof(weights));
        }
    }

    /// <summary>Number of vectors.</summary>
    public int Count => _groups.Length;
    /// <summary>Length of each vector (the layout's GroupSize).</summary>
    public int Size { get; }
    /// <summary>The layer group index of each vector.</summary>
    public ReadOnlySpan<int> Groups => _groups;
    public ReadOnlySpan<float> this[int i] => _data.AsSpan(i * Size, Size);
    public double SquaredNorm(int i) => _squaredNorms[i];
    public double Dot(int i, int j) => TensorPrimitives.Dot(this[i], this[j]);
}
