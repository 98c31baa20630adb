namespace Knot.Storage.Compressed;

/// <summary>
/// Where the stored non-zeros of a sparse tensor are: strictly increasing flat (row-major) positions, plus a CSR view
/// for kernels that compute on the sparse form. The tensor is viewed as a matrix of <see cref="Rows"/> =
/// shape[0] (1 for rank 0 and 1) by <see cref="Columns"/> = the product of the other dimensions — for a Linear weight
/// (out, in) rows are output units; for a convolution (C_out, C_in, kh, kw) rows are filters over C_in·kh·kw, the
/// im2col layout. The CSR arrays are built on first use, not at load, because their size follows the declared shape
/// rather than the file size.
/// </summary>
public sealed class SparseStructure
{
    private int[]? _rowPointers;
    private int[]? _columnIndices;

    internal SparseStructure(int[] positions, int rows, int columns)
    {
        Positions = positions;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Builds a structure from flat positions (validated: strictly increasing, inside the shape).</summary>
    public static SparseStructure FromPositions(int[] positions, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var (rows, columns) = MatrixView(shape);
        long size = (long)rows * columns;
        for (int i = 0; i < positions.Length; i++)
        {
            if (positions[i] < 0 || positions[i] >= size || (i > 0 && positions[i] <= positions[i - 1]))
                throw new ArgumentException($"Position {positions[i]} at entry {i} is not strictly increasing inside [0, {size}).", nameof(positions));
        }
        return new SparseStructure(positions, rows, columns);
    }

    /// <summary>Flat row-major positions of the stored entries, strictly increasing.</summary>
    public int[] Positions { get; }

    public int NonZeroCount => Positions.Length;
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>CSR row pointers (Rows + 1 entries): the entries of row r are [RowPointers[r], RowPointers[r + 1]).</summary>
    public int[] RowPointers
    {
        get
        {
            if (_rowPointers is null) BuildCsr();
            return _rowPointers!;
        }
    }

    /// <summary>CSR column of each stored entry.</summary>
    public int[] ColumnIndices
    {
        get
        {
            if (_columnIndices is null) BuildCsr();
            return _columnIndices!;
        }
    }

    private void BuildCsr()
    {
        var rowPointers = new int[Rows + 1];
        var columns = new int[Positions.Length];
        int entry = 0;
        for (int r = 0; r < Rows; r++)
        {
            rowPointers[r] = entry;
            long rowEnd = (long)(r + 1) * Columns;
            while (entry < Positions.Length && Positions[entry] < rowEnd)
            {
                columns[entry] = (int)(Positions[entry] - (long)r * Columns);
                entry++;
            }
        }
        rowPointers[Rows] = entry;
        _columnIndices = columns;
        _rowPointers = rowPointers;
    }

    internal static (int Rows, int Columns) MatrixView(ReadOnlySpan<int> shape)
    {
        if (shape.Length <= 1) return (1, shape.Length == 0 ? 1 : shape[0]);
        long columns = 1;
        for (int i = 1; i < shape.Length; i++) columns *= shape[i];
        return (shape[0], (int)columns);
    }
}
