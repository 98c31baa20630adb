using Knot.Tensors;

namespace Knot.Storage.Compressed;

/// <summary>A tensor read from a .knot file, in its stored (possibly compressed) representation.</summary>
public abstract class KnotTensor
{
    private protected KnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes)
    {
        Name = name;
        Shape = shape;
        Encoding = encoding;
        StoredBytes = storedBytes;
    }

    public string Name { get; }
    public Shape Shape { get; }
    public int ElementCount => Shape.Size;

    /// <summary>How the tensor was stored in the file.</summary>
    public TensorEncoding Encoding { get; }

    /// <summary>Payload bytes the tensor occupies in the file (its header entry not included).</summary>
    public long StoredBytes { get; }

    public abstract KnotElementType ElementType { get; }
}

/// <summary>A float32 tensor in any of its stored forms; <see cref="ToDense"/> expands it.</summary>
public abstract class KnotFloatTensor : KnotTensor
{
    private protected KnotFloatTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes)
        : base(name, shape, encoding, storedBytes) { }

    public override KnotElementType ElementType => KnotElementType.Float32;

    /// <summary>Writes the dense row-major values into <paramref name="destination"/> (length = ElementCount).</summary>
    public abstract void DecodeTo(Span<float> destination);

    /// <summary>A new dense row-major array of the values.</summary>
    public float[] ToDense()
    {
        var dense = new float[ElementCount];
        DecodeTo(dense);
        return dense;
    }

    /// <summary>The values as a <see cref="Tensor"/> (a new dense copy).</summary>
    public Tensor ToTensor() => new(Shape, ToDense());

    private protected void CheckDestination(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"Tensor '{Name}' has {ElementCount} elements, destination has {destination.Length}.", nameof(destination));
    }
}

/// <summary>Every element stored as float32.</summary>
public sealed class DenseKnotTensor : KnotFloatTensor
{
    internal DenseKnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes, float[] values)
        : base(name, shape, encoding, storedBytes) => Values = values;

    public float[] Values { get; }

    public override void DecodeTo(Span<float> destination)
    {
        CheckDestination(destination);
        Values.CopyTo(destination);
    }
}

/// <summary>Non-zeros only, with float32 values.</summary>
public sealed class SparseKnotTensor : KnotFloatTensor
{
    internal SparseKnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes, SparseStructure structure, float[] values)
        : base(name, shape, encoding, storedBytes)
    {
        Structure = structure;
        Values = values;
    }

    public SparseStructure Structure { get; }

    /// <summary>Value of each stored entry (same order as <see cref="SparseStructure.Positions"/>).</summary>
    public float[] Values { get; }

    public override void DecodeTo(Span<float> destination)
    {
        CheckDestination(destination);
        destination.Clear();
        var positions = Structure.Positions;
        for (int i = 0; i < positions.Length; i++) destination[positions[i]] = Values[i];
    }
}

/// <summary>Every element stored as an index into a codebook (which may contain 0).</summary>
public sealed class CodebookKnotTensor : KnotFloatTensor
{
    internal CodebookKnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes, int codebookId, float[] codebook, ushort[] codes)
        : base(name, shape, encoding, storedBytes)
    {
        CodebookId = codebookId;
        Codebook = codebook;
        Codes = codes;
    }

    /// <summary>Index of the codebook in <see cref="KnotFile.Codebooks"/>; tensors sharing a codebook share the id.</summary>
    public int CodebookId { get; }
    public float[] Codebook { get; }

    /// <summary>Codebook index of every element, row-major.</summary>
    public ushort[] Codes { get; }

    public override void DecodeTo(Span<float> destination)
    {
        CheckDestination(destination);
        for (int i = 0; i < Codes.Length; i++) destination[i] = Codebook[Codes[i]];
    }
}

/// <summary>
/// Non-zeros only, each stored as a codebook index: the form Deep Compression and soft weight-sharing produce. Kernels
/// can compute directly on it: for row r, entries RowPointers[r]..RowPointers[r+1]−1 have column ColumnIndices[e] and
/// value Codebook[Codes[e]].
/// </summary>
public sealed class SparseCodebookKnotTensor : KnotFloatTensor
{
    internal SparseCodebookKnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes, SparseStructure structure, int codebookId, float[] codebook, ushort[] codes)
        : base(name, shape, encoding, storedBytes)
    {
        Structure = structure;
        CodebookId = codebookId;
        Codebook = codebook;
        Codes = codes;
    }

    public SparseStructure Structure { get; }
    public int CodebookId { get; }
    public float[] Codebook { get; }

    /// <summary>Codebook index of each stored entry (same order as <see cref="SparseStructure.Positions"/>).</summary>
    public ushort[] Codes { get; }

    public override void DecodeTo(Span<float> destination)
    {
        CheckDestination(destination);
        destination.Clear();
        var positions = Structure.Positions;
        for (int i = 0; i < positions.Length; i++) destination[positions[i]] = Codebook[Codes[i]];
    }
}

/// <summary>An int32 table (tied-unit maps, kept-unit lists and other structure).</summary>
public sealed class IndexTableKnotTensor : KnotTensor
{
    internal IndexTableKnotTensor(string name, Shape shape, TensorEncoding encoding, long storedBytes, int[] values)
        : base(name, shape, encoding, storedBytes) => Values = values;

    public override KnotElementType ElementType => KnotElementType.Int32;

    /// <summary>The values, row-major.</summary>
    public int[] Values { get; }
}
