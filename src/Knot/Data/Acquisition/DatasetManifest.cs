namespace Knot.Data.Acquisition;

/// <summary>
/// What a complete copy of a dataset contains, and where it can be downloaded (each file as NAME.gz under a
/// mirror). Hashes are of the decompressed files, so a raw copy and a gzip copy verify the same way.
/// </summary>
public sealed record DatasetManifest(string Name, IReadOnlyList<DatasetFile> Files, IReadOnlyList<Uri> Mirrors)
{
    /// <summary>
    /// MNIST (LeCun, Cortes, Burges). Hashes are the widely published SHA-256 of the four decompressed files;
    /// the first mirror is PyTorch's S3 copy, the second the original site.
    /// </summary>
    public static DatasetManifest Mnist { get; } = new(
        "mnist",
        [
            new("train-images-idx3-ubyte", 47_040_016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new("train-labels-idx1-ubyte", 60_008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new("t10k-images-idx3-ubyte", 7_840_016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new("t10k-labels-idx1-ubyte", 10_008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        ],
        [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("http://yann.lecun.com/exdb/mnist/")]);
}
