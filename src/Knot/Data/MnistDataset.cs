namespace Knot.Data;

/// <summary>MNIST: 28×28 greyscale digits, 60,000 for training and 10,000 for testing, 10 classes.</summary>
public static class MnistDataset
{
    public const int ClassCount = 10;
    public const int Side = 28;
    public const int TrainCount = 60_000;
    public const int TestCount = 10_000;

    /// <summary>
    /// Loads a split from a directory in MNIST layout (raw or .gz files). By default pixels are scaled to [0, 1]
    /// and then standardized with (x − 0.1307) / 0.3081; pass <c>rawUnitRange: true</c> to keep them in [0, 1].
    /// </summary>
    public static LabeledDataset Load(string directory, DataSplit split, bool rawUnitRange = false)
    {
        var normalization = rawUnitRange ? ChannelNormalization.Identity(1) : ChannelNormalization.Mnist;
        var data = IdxDataset.Load(directory, split, normalization, ClassCount, "mnist-" + split.ToString().ToLowerInvariant());
        if (data.ImageShape[0] != 1 || data.ImageShape[1] != Side || data.ImageShape[2] != Side)
            throw new InvalidDataException(
                $"{IdxDataset.ResolveFile(directory, IdxDataset.FileNames(split).Images)}: MNIST images must be {Side}x{Side} greyscale, found {data.ImageShape}.");
        return data;
    }
}
