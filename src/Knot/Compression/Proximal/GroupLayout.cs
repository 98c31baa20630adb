using System.Numerics.Tensors;
using Knot.Tensors;

namespace Knot.Compression.Proximal;

/// <summary>
/// How the weights of one layer split into GrOWL groups. The weight has shape (out, in, *kernel), row-major;
/// group j is everything that leaves input unit/channel j: column j of an (out, in) FC weight (strided), or the
/// slice [:, j, :, :] of a (Cout, Cin, kh, kw) convolution weight. In memory, group j is <see cref="Out"/> runs of
/// <see cref="Inner"/> contiguous floats, run o starting at o·In·Inner + j·Inner.
/// All kernels walk the weight row by row (o outer) so that memory is read sequentially even though groups are
/// strided; per-group results live in small per-group arrays.
/// </summary>
public sealed class GroupLayout : IEquatable<GroupLayout>
{
    private readonly int[] _shape;

    /// <summary>Layout of a weight of the given shape: rank ≥ 2, (out, in, *kernel), every dimension ≥ 1.</summary>
    public GroupLayout(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 2)
            throw new ArgumentException($"A grouped weight needs rank >= 2 (out, in, *kernel), got shape [{string.Join(", ", shape)}].", nameof(shape));
        long size = 1, inner = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 1)
                throw new ArgumentException($"Every dimension must be >= 1, got {shape[i]} at axis {i} of shape [{string.Join(", ", shape)}].", nameof(shape));
            size *= shape[i];
            if (i >= 2) inner *= shape[i];
            if (size > Array.MaxLength)
                throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has more than {Array.MaxLength} elements.", nameof(shape));
        }
        _shape = (int[])shape.Clone();
        Out = shape[0];
        In = shape[1];
        Inner = (int)inner;
        Size = (int)size;
    }

    /// <summary>Layout of a tensor shape, e.g. a parameter's.</summary>
    public GroupLayout(Shape shape) : this(ShapeToArray(shape)) { }

    private static int[] ShapeToArray(Shape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.ToArray();
    }

    /// <summary>First dimension: output units/channels.</summary>
    public int Out { get; }
    /// <summary>Second dimension: input units/channels, which is also the number of groups.</summary>
    public int In { get; }
    /// <summary>Product of the kernel dimensions (1 for an FC weight).</summary>
    public int Inner { get; }
    /// <summary>Total number of weights.</summary>
    public int Size { get; }
    public int GroupCount => In;
    /// <summary>Weights per group: Out·Inner.</summary>
    public int GroupSize => Out * Inner;
    /// <summary>Distance between the starts of two consecutive rows (o and o+1): In·Inner.</summary>
    public int RowStride => In * Inner;
    /// <summary>The weight's shape (out, in, *kernel).</summary>
    public ReadOnlySpan<int> Dims => _shape;

    /// <summary>Throws an ArgumentException naming <paramref name="paramName"/> unless the span fits this layout.</summary>
    public void CheckLength(int length, string paramName)
    {
        if (length != Size)
            throw new ArgumentException($"Expected {Size} weights for shape [{string.Join(", ", _shape)}], got {length}.", paramName);
    }

    /// <summary>
    /// Squared ℓ2 norm of every group into <paramref name="squaredNorms"/> (length <see cref="GroupCount"/>).
    /// Squares are accumulated row by row with one vectorised multiply-add over the whole row, so the weight is
    /// streamed once in memory order even though groups are strided. For kernels (Inner &gt; 1) the per-element
    /// accumulator needs <paramref name="rowScratch"/> of length <see cref="RowStride"/>; without it a slower
    /// per-run path is used.
    /// </summary>
    public void SquaredNorms(ReadOnlySpan<float> weights, Span<float> squaredNorms, Span<float> rowScratch = default)
    {
        CheckLength(weights.Length, nameof(weights));
        CheckGroups(squaredNorms.Length, nameof(squaredNorms));
        int stride = RowStride, inner = Inner;
        CheckScratch(rowScratch);
        if (inner == 1 || !rowScratch.IsEmpty)
        {
            var acc = inner == 1 ? squaredNorms : rowScratch;
            acc.Clear();
            for (int o = 0; o < Out; o++)
            {
                var row = weights.Slice(o * stride, stride);
                TensorPrimitives.FusedMultiplyAdd(row, row, acc, acc);
            }
            if (inner > 1)
                for (int j = 0; j < In; j++) squaredNorms[j] = TensorPrimitives.Sum(acc.Slice(j * inner, inner));
            return;
        }
        squaredNorms.Clear();
        for (int o = 0; o < Out; o++)
        {
            var row = weights.Slice(o * stride, stride);
            for (int j = 0; j < In; j++)
                squaredNorms[j] += TensorPrimitives.SumOfSquares(row.Slice(j * inner, inner));
        }
    }

    /// <summary>ℓ2 norm of every group (see <see cref="SquaredNorms"/>).</summary>
    public void Norms(ReadOnlySpan<float> weights, Span<float> norms, Span<float> rowScratch = default)
    {
        SquaredNorms(weights, norms, rowScratch);
        TensorPrimitives.Sqrt(norms, norms);
    }

    /// <summary>
    /// Multiplies every weight of group j by <paramref name="scales"/>[j], in place, streaming row by row. For kernels
    /// (Inner &gt; 1) <paramref name="rowScratch"/> (length <see cref="RowStride"/>) lets each row be one vectorised
    /// multiply by the scales expanded per element; without it a per-run path is used.
    /// </summary>
    public void ScaleGroups(Span<float> weights, ReadOnlySpan<float> scales, Span<float> rowScratch = default)
    {
        CheckLength(weights.Length, nameof(weights));
        CheckGroups(scales.Length, nameof(scales));
        int stride = RowStride, inner = Inner;
        CheckScratch(rowScratch);
        if (inner == 1 || !rowScratch.IsEmpty)
        {
            ReadOnlySpan<float> factors = scales;
            if (inner > 1)
            {
                for (int j = 0; j < In; j++) rowScratch.Slice(j * inner, inner).Fill(scales[j]);
                factors = rowScratch;
            }
            for (int o = 0; o < Out; o++)
            {
                var row = weights.Slice(o * stride, stride);
                // w·s + 0 rather than w·s: a negative weight times a zero scale is −0, and killed groups should be
                // +0 bit for bit (sparse formats and bitwise checks see −0 as non-zero). Same memory traffic.
                TensorPrimitives.MultiplyAdd(row, factors, 0f, row);
            }
            return;
        }
        for (int o = 0; o < Out; o++)
        {
            var row = weights.Slice(o * stride, stride);
            for (int j = 0; j < In; j++)
            {
                var run = row.Slice(j * inner, inner);
                float s = scales[j];
                if (s == 0f) run.Clear();
                else if (s != 1f) TensorPrimitives.Multiply(run, s, run); // s ≠ 0: no −0 from a zero scale
            }
        }
    }

    /// <summary>Copies group j into a contiguous buffer of length <see cref="GroupSize"/> (element o·Inner + k).</summary>
    public void CopyGroup(ReadOnlySpan<float> weights, int group, Span<float> destination)
    {
        CheckLength(weights.Length, nameof(weights));
        CheckGroupIndex(group);
        if (destination.Length != GroupSize)
            throw new ArgumentException($"Expected a buffer of {GroupSize} floats for one group, got {destination.Length}.", nameof(destination));
        int stride = RowStride, inner = Inner, start = group * inner;
        for (int o = 0; o < Out; o++)
            weights.Slice(o * stride + start, inner).CopyTo(destination.Slice(o * inner, inner));
    }

    /// <summary>Writes a contiguous buffer of length <see cref="GroupSize"/> into group j (inverse of <see cref="CopyGroup"/>).</summary>
    public void SetGroup(Span<float> weights, int group, ReadOnlySpan<float> source)
    {
        CheckLength(weights.Length, nameof(weights));
        CheckGroupIndex(group);
        if (source.Length != GroupSize)
            throw new ArgumentException($"Expected a buffer of {GroupSize} floats for one group, got {source.Length}.", nameof(source));
        int stride = RowStride, inner = Inner, start = group * inner;
        for (int o = 0; o < Out; o++)
            source.Slice(o * inner, inner).CopyTo(weights.Slice(o * stride + start, inner));
    }

    private void CheckScratch(Span<float> rowScratch)
    {
        if (!rowScratch.IsEmpty && rowScratch.Length != RowStride)
            throw new ArgumentException($"Row scratch must be empty or hold RowStride = {RowStride} floats, got {rowScratch.Length}.", nameof(rowScratch));
    }

    private void CheckGroups(int length, string paramName)
    {
        if (length != GroupCount)
            throw new ArgumentException($"Expected one value per group ({GroupCount}), got {length}.", paramName);
    }

    private void CheckGroupIndex(int group)
    {
        if ((uint)group >= (uint)GroupCount)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"Group index must be in [0, {GroupCount}).");
    }

    public bool Equals(GroupLayout? other) => other is not null && _shape.AsSpan().SequenceEqual(other._shape);
    public override bool Equals(object? obj) => Equals(obj as GroupLayout);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _shape) h.Add(d);
        return h.ToHashCode();
    }
    public override string ToString() => $"GroupLayout([{string.Join(", ", _shape)}]: {GroupCount} groups of {GroupSize})";
}
