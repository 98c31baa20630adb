using Knot.Tensors;

namespace Knot.Data;

/// <summary>
/// Loads a classification dataset stored in the MNIST directory layout: train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or gzip (a ".gz" suffix
/// is accepted, as is the "train-images.idx3-ubyte" spelling some mirrors use). MNIST, Fashion-MNIST and
/// KMNIST all ship this way.
/// </summary>
public static class IdxDataset
{
    /// <summary>The base file names for a split: (images, labels).</summary>
    public static (string Images, string Labels) FileNames(DataSplit split) => split switch
    {
        DataSplit.Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        DataSplit.Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };

    /// <summary>
    /// Loads one split. Images become (N, 1, H, W) from an N×H×W file (or N×C×H×W from a rank-4 file), scaled to
    /// [0, 1] and then normalized with <paramref name="normalization"/> (null: left in [0, 1]).
    /// </summary>
    /// <param name="classCount">Number of classes; null infers it as the largest label + 1.</param>
    public static LabeledDataset Load(string directory, DataSplit split, ChannelNormalization? normalization = null,
        int? classCount = null, string? name = null)
    {
        var (imagesName, labelsName) = FileNames(split);
        string imagesPath = ResolveFile(directory, imagesName);
        string labelsPath = ResolveFile(directory, labelsName);

        var images = IdxFile.Read(imagesPath);
        if (images.Rank is not (3 or 4))
            throw new InvalidDataException($"{imagesPath}: expected images of rank 3 (N×H×W) or 4 (N×C×H×W), found {images.DimsText}.");
        var imageShape = images.Rank == 3
            ? new Shape(1, images.Dims[1], images.Dims[2])
            : new Shape(images.Dims[1], images.Dims[2], images.Dims[3]);
        if (imageShape.Size == 0)
            throw new InvalidDataException($"{imagesPath}: images of shape {images.DimsText} have no pixels.");

        var labels = IdxFile.Read(labelsPath);
        if (labels.Rank != 1)
            throw new InvalidDataException($"{labelsPath}: expected labels of rank 1 (N), found {labels.DimsText}.");
        if (labels.Dims[0] != images.Dims[0])
            throw new InvalidDataException(
                $"{imagesPath} has {images.Dims[0]} images but {labelsPath} has {labels.Dims[0]} labels; the counts must match.");

        int inferred = 0;
        var labelValues = new int[labels.Dims[0]];
        for (int i = 0; i < labelValues.Length; i++)
        {
            labelValues[i] = labels.Data[i];
            inferred = Math.Max(inferred, labelValues[i] + 1);
        }
        int classes = classCount ?? Math.Max(inferred, 1);
        if (classCount is { } expected)
        {
            int bad = Array.FindIndex(labelValues, l => l >= expected);
            if (bad >= 0)
                throw new InvalidDataException($"{labelsPath}: label {labelValues[bad]} at index {bad} is outside [0, {expected}).");
        }

        normalization ??= ChannelNormalization.Identity(imageShape[0]);
        if (normalization.Channels != imageShape[0])
            throw new ArgumentException(
                $"Normalization has {normalization.Channels} channels but {imagesPath} has {imageShape[0]}.", nameof(normalization));
        var pixels = new float[images.Data.Length];
        normalization.ConvertBytes(images.Data, pixels, imageShape[1] * imageShape[2]);

        name ??= $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))}-{split.ToString().ToLowerInvariant()}";
        return new LabeledDataset(name, pixels, labelValues, imageShape, classes, normalization);
    }

    /// <summary>
    /// The path of <paramref name="baseName"/> in <paramref name="directory"/>: raw or ".gz", hyphenated or with the
    /// "name.idxN-ubyte" spelling. Throws FileNotFoundException listing every name tried.
    /// </summary>
    public static string ResolveFile(string directory, string baseName)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Data directory not found: '{Path.GetFullPath(directory)}'.");
        foreach (string candidate in Candidates(baseName))
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"'{baseName}' not found in '{Path.GetFullPath(directory)}' (looked for {string.Join(", ", Candidates(baseName))}).",
            Path.Combine(directory, baseName));
    }

    /// <summary>Accepted spellings of one file, preferred first.</summary>
    public static IEnumerable<string> Candidates(string baseName)
    {
        yield return baseName;
        yield return baseName + ".gz";
        int idx = baseName.IndexOf("-idx", StringComparison.Ordinal);
        if (idx > 0)
        {
            string dotted = string.Concat(baseName.AsSpan(0, idx), ".", baseName.AsSpan(idx + 1));
            yield return dotted;
            yield return dotted + ".gz";
        }
    }
}
