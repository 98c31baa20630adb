namespace Knot.Data;

/// <summary>The contents of an IDX file of unsigned bytes: its dimensions (outermost first) and the raw values.</summary>
public sealed class IdxArray
{
    internal IdxArray(int[] dims, byte[] data)
    {
        Dims = dims;
        Data = data;
    }

    /// <summary>Dimensions as stored in the header, e.g. [60000, 28, 28] for MNIST training images.</summary>
    public int[] Dims { get; }

    /// <summary>The values in row-major order; length is the product of <see cref="Dims"/>.</summary>
    public byte[] Data { get; }

    public int Rank => Dims.Length;

    /// <summary>Dimensions as "60000x28x28", the form used in error messages.</summary>
    public string DimsText => IdxFile.FormatDims(Dims);
}
