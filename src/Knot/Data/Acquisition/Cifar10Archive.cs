namespace Knot.Data.Acquisition;

/// <summary>
/// Where CIFAR-10's binary archive (cifar-10-binary.tar.gz) comes from and how to recognise it: exact size,
/// the MD5 the dataset's authors publish, and the six record files it must contain.
/// </summary>
public sealed record Cifar10Archive(IReadOnlyList<Uri> Urls, long Bytes, string Md5, long RecordsPerTrainFile, long TestRecords)
{
    /// <summary>The archive's file name, also looked for when importing from a directory.</summary>
    public const string FileName = "cifar-10-binary.tar.gz";

    /// <summary>The official archive from the University of Toronto (170,052,171 bytes).</summary>
    public static Cifar10Archive Official { get; } = new(
        [new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")],
        170_052_171, "c32a1d4ab5d03f1284b67883e8d87530", 10_000, 10_000);

    /// <summary>Expected byte size of one of the six .bin files.</summary>
    public long ExpectedBytes(string binFileName) =>
        (binFileName == "test_batch.bin" ? TestRecords : RecordsPerTrainFile) * Cifar10Dataset.RecordBytes;

    /// <summary>The six files a complete copy holds.</summary>
    public static IReadOnlyList<string> BinFiles { get; } =
        [.. Cifar10Dataset.FileNames(DataSplit.Train), .. Cifar10Dataset.FileNames(DataSplit.Test)];
}
