using Knot.Storage.Compressed;

namespace Knot.Compression.Accounting;

/// <summary>One tensor's real storage in a .knot file.</summary>
public sealed record TensorStorageRow(string Name, string Shape, string Encoding, long Elements, long StoredBytes);

/// <summary>
/// Real-bytes accounting, printed next to the papers' accounting: ratio = dense float32 bytes of the original model /
/// actual file bytes (header, tables, codebooks and CRC included). The original parameter count is the caller's: after
/// GrOWL removes units the file holds smaller tensors than the model it came from.
/// </summary>
public static class FileStorageAccounting
{
    public static IReadOnlyList<TensorStorageRow> Rows(KnotFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return [.. file.Tensors.Select(t => new TensorStorageRow(t.Name, t.Shape.ToString(), t.Encoding.ToString(), t.ElementCount, t.StoredBytes))];
    }

    public static double CompressionRatio(long denseParameters, long fileBytes)
    {
        if (denseParameters < 0) throw new ArgumentOutOfRangeException(nameof(denseParameters), denseParameters, "Must be >= 0.");
        if (fileBytes <= 0) throw new ArgumentOutOfRangeException(nameof(fileBytes), fileBytes, "Must be > 0.");
        return 4.0 * denseParameters / fileBytes;
    }
}
