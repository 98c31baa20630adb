using Knot.Tensors;

namespace Knot.Data;

/// <summary>
/// CIFAR-10 in its binary distribution (cifar-10-binary.tar.gz): data_batch_1.bin … data_batch_5.bin and
/// test_batch.bin, each a sequence of 3073-byte records — one label byte (0..9), then 1024 red, 1024 green and
/// 1024 blue pixels, rows top to bottom. That is already CHW, so records copy straight into NCHW.
/// </summary>
public static class Cifar10Dataset
{
    public const int ClassCount = 10;
    public const int Side = 32;
    public const int Channels = 3;
    public const int ImageBytes = Channels * Side * Side;
    public const int RecordBytes = 1 + ImageBytes;

    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The batch files of a split, in order.</summary>
    public static IReadOnlyList<string> FileNames(DataSplit split) => split switch
    {
        DataSplit.Train => ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
        DataSplit.Test => ["test_batch.bin"],
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };

    /// <summary>
    /// Loads a split from <paramref name="directory"/> (or its "cifar-10-batches-bin" subdirectory, as the
    /// archive unpacks). Pixels are scaled to [0, 1] and normalized per channel, by default with the CIFAR-10
    /// training-set mean and std; pass <see cref="ChannelNormalization.Identity"/> for raw [0, 1].
    /// </summary>
    public static LabeledDataset Load(string directory, DataSplit split, ChannelNormalization? normalization = null)
    {
        normalization ??= ChannelNormalization.Cifar10;
        if (normalization.Channels != Channels)
            throw new ArgumentException($"CIFAR-10 has {Channels} channels, normalization has {normalization.Channels}.", nameof(normalization));
        string root = ResolveDirectory(directory, split);
        var files = FileNames(split);

        // Validate every file's size first, so a bad last batch is reported before gigabytes are allocated.
        var paths = new string[files.Count];
        long totalRecords = 0;
        for (int i = 0; i < files.Count; i++)
        {
            paths[i] = Path.Combine(root, files[i]);
            if (!File.Exists(paths[i]))
                throw new FileNotFoundException($"CIFAR-10 file not found: '{Path.GetFullPath(paths[i])}'.", paths[i]);
            long length = new FileInfo(paths[i]).Length;
            if (length == 0 || length % RecordBytes != 0)
                throw new InvalidDataException(
                    $"{paths[i]}: expected a positive multiple of {RecordBytes} bytes (label + 3x32x32 records), found {length}" +
                    (length % RecordBytes != 0 ? $" ({length / RecordBytes} records and {length % RecordBytes} extra bytes)." : "."));
            totalRecords += length / RecordBytes;
        }
        if (totalRecords * ImageBytes > Array.MaxLength)
            throw new InvalidDataException($"{root}: {totalRecords} CIFAR records are more than one array can hold.");

        int count = (int)totalRecords;
        var pixels = new float[count * ImageBytes];
        var labels = new int[count];
        var record = new byte[RecordBytes];
        int sample = 0;
        foreach (string path in paths)
        {
            using var file = CompressedInput.OpenRaw(path);
            long records = file.Length / RecordBytes;
            for (long r = 0; r < records; r++, sample++)
            {
                if (file.ReadAtLeast(record, RecordBytes, throwOnEndOfStream: false) != RecordBytes)
                    throw new InvalidDataException($"{path}: file shrank while reading (record {r} of {records} incomplete).");
                int label = record[0];
                if (label >= ClassCount)
                    throw new InvalidDataException($"{path}: record {r} has label {label}, expected 0..{ClassCount - 1}.");
                labels[sample] = label;
                normalization.ConvertBytes(record.AsSpan(1), pixels.AsSpan(sample * ImageBytes, ImageBytes), Side * Side);
            }
        }
        return new LabeledDataset("cifar10-" + split.ToString().ToLowerInvariant(), pixels, labels,
            new Shape(Channels, Side, Side), ClassCount, normalization);
    }

    private static string ResolveDirectory(string directory, DataSplit split)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Data directory not found: '{Path.GetFullPath(directory)}'.");
        string first = FileNames(split)[0];
        if (File.Exists(Path.Combine(directory, first))) return directory;
        string nested = Path.Combine(directory, "cifar-10-batches-bin");
        if (File.Exists(Path.Combine(nested, first))) return nested;
        return directory; // the per-file check then names the missing file in the directory given
    }
}
