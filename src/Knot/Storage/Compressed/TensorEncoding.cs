namespace Knot.Storage.Compressed;

/// <summary>What a stored tensor holds once decoded.</summary>
public enum KnotElementType : byte
{
    Float32 = 0,
    /// <summary>Integer tables (e.g. a GrOWL tied-input map or a list of kept units).</summary>
    Int32 = 1,
}

/// <summary>How the positions of the stored values are given.</summary>
public enum PositionCoding : byte
{
    /// <summary>Every element is stored, in row-major order.</summary>
    Dense = 0,
    /// <summary>Only non-zeros are stored; positions as relative gaps in fixed-width fields with filler escapes.</summary>
    Gaps = 1,
    /// <summary>Like <see cref="Gaps"/>, but the gap symbols are Huffman-coded.</summary>
    HuffmanGaps = 2,
}

/// <summary>How the stored values themselves are written.</summary>
public enum ValueCoding : byte
{
    /// <summary>Raw IEEE float32.</summary>
    Float32 = 0,
    /// <summary>Indices into a codebook, fixed width (⌈log2 k⌉ bits).</summary>
    Codes = 1,
    /// <summary>Indices into a codebook, Huffman-coded.</summary>
    HuffmanCodes = 2,
    /// <summary>Int32 values as (value − minimum) in a fixed bit width.</summary>
    PackedInt32 = 3,
    /// <summary>
    /// IEEE half precision. Lossless by construction: the writer accepts it only when every stored value is exactly a
    /// float16 (a pipeline that wants it rounds first, e.g. <c>--bias-bits 16</c>); never chosen automatically, so files
    /// written before it existed keep their bytes.
    /// </summary>
    Float16 = 4,
}

/// <summary>The encoding of one stored tensor (positions × values, plus their field widths).</summary>
public readonly record struct TensorEncoding(PositionCoding Positions, ValueCoding Values, int GapBits = 0, int CodeBits = 0)
{
    public static TensorEncoding DenseFloat32 => new(PositionCoding.Dense, ValueCoding.Float32);

    public bool IsSparse => Positions != PositionCoding.Dense;
    public bool UsesCodebook => Values is ValueCoding.Codes or ValueCoding.HuffmanCodes;

    public override string ToString()
    {
        string positions = Positions switch
        {
            PositionCoding.Dense => "dense",
            PositionCoding.Gaps => $"sparse(gaps {GapBits}b)",
            _ => $"sparse(huffman gaps {GapBits}b)",
        };
        string values = Values switch
        {
            ValueCoding.Float32 => "f32",
            ValueCoding.Float16 => "f16",
            ValueCoding.Codes => $"codebook({CodeBits}b)",
            ValueCoding.HuffmanCodes => "codebook(huffman)",
            _ => $"int({CodeBits}b)",
        };
        return positions + "+" + values;
    }
}

/// <summary>
/// Constraints for the writer's choice of encoding. A null field is chosen automatically (the combination giving the
/// fewest payload bytes wins; ties go to the simpler encoding); a set field is forced, and the writer throws
/// <see cref="ArgumentException"/> if the tensor cannot be stored that way (e.g. codes without a codebook).
/// </summary>
public sealed record EncodingRequest(PositionCoding? Positions = null, ValueCoding? Values = null, int? GapBits = null)
{
    public static EncodingRequest Auto { get; } = new();
    public static EncodingRequest Dense { get; } = new(PositionCoding.Dense, ValueCoding.Float32);
    public static EncodingRequest Sparse { get; } = new(PositionCoding.Gaps, ValueCoding.Float32);
    public static EncodingRequest HuffmanSparse { get; } = new(PositionCoding.HuffmanGaps, ValueCoding.Float32);
    public static EncodingRequest Codebook { get; } = new(PositionCoding.Dense, ValueCoding.Codes);
    public static EncodingRequest HuffmanCodebook { get; } = new(PositionCoding.Dense, ValueCoding.HuffmanCodes);
    public static EncodingRequest SparseCodebook { get; } = new(PositionCoding.Gaps, ValueCoding.Codes);
    public static EncodingRequest HuffmanSparseCodebook { get; } = new(PositionCoding.HuffmanGaps, ValueCoding.HuffmanCodes);
    /// <summary>Half-precision values, dense or sparse (whichever is smaller); every stored value must be a float16.</summary>
    public static EncodingRequest HalfPrecision { get; } = new(Values: ValueCoding.Float16);
}
