using Knot.Data;

namespace Knot.Tests.Data;

public sealed class MnistLayoutTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsMnistLayoutWithStandardization(bool gzip)
    {
        using var dir = new TempDir();
        var (pixels, labels) = DataTestFiles.WriteIdxSplit(dir.Path, "train", 12, 28, 28, gzip);

        var data = MnistDataset.Load(dir.Path, DataSplit.Train);

        Assert.Equal(12, data.Count);
        Assert.Equal(new Knot.Tensors.Shape(1, 28, 28), data.ImageShape);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(labels.Select(b => (int)b), data.Labels);
        for (int i = 0; i < pixels.Length; i += 97)
            Assert.Equal((pixels[i] / 255f - 0.1307f) / 0.3081f, data.Images[i]);
        Assert.Equal(0.1307f, data.Normalization.Mean[0]);
    }

    [Fact]
    public void RawUnitRangeKeepsPixelsInZeroOne()
    {
        using var dir = new TempDir();
        var (pixels, _) = DataTestFiles.WriteIdxSplit(dir.Path, "t10k", 3, 28, 28);
        var data = MnistDataset.Load(dir.Path, DataSplit.Test, rawUnitRange: true);
        for (int i = 0; i < pixels.Length; i++) Assert.Equal(pixels[i] / 255f, data.Images[i]);
        Assert.True(data.Normalization.IsIdentity);
        Assert.Equal("mnist-test", data.Name);
    }

    [Fact]
    public void AcceptsDottedSpellingAndGzipSuffix()
    {
        using var dir = new TempDir();
        DataTestFiles.WriteIdxSplit(dir.Path, "train", 4, 28, 28, gzip: true, imagesSuffix: "-images.idx3-ubyte", labelsSuffix: "-labels.idx1-ubyte");
        Assert.Equal(4, MnistDataset.Load(dir.Path, DataSplit.Train).Count);
    }

    [Fact]
    public void GenericIdxLoadsOtherSizesAndInfersClasses()
    {
        using var dir = new TempDir();
        DataTestFiles.WriteIdxSplit(dir.Path, "train", 9, 5, 7, classes: 4);
        var data = IdxDataset.Load(dir.Path, DataSplit.Train);
        Assert.Equal(new Knot.Tensors.Shape(1, 5, 7), data.ImageShape);
        Assert.Equal(4, data.ClassCount);
        // MNIST insists on 28x28.
        var e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(dir.Path, DataSplit.Train));
        Assert.Contains("28x28", e.Message);
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        using var dir = new TempDir();
        DataTestFiles.WriteIdxSplit(dir.Path, "train", 6, 28, 28);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), DataTestFiles.IdxBytes([5], [0, 1, 2, 3, 4]));
        var e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(dir.Path, DataSplit.Train));
        Assert.Contains("6 images", e.Message);
        Assert.Contains("5 labels", e.Message);
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void LabelOutsideMnistClassesIsRefused()
    {
        using var dir = new TempDir();
        DataTestFiles.WriteIdxSplit(dir.Path, "train", 3, 28, 28);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), DataTestFiles.IdxBytes([3], [0, 10, 2]));
        var e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(dir.Path, DataSplit.Train));
        Assert.Contains("label 10 at index 1", e.Message);
    }

    [Fact]
    public void WrongRanksAreRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), DataTestFiles.IdxBytes([4, 9], new byte[36]));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), DataTestFiles.IdxBytes([4], new byte[4]));
        Assert.Contains("rank 3", Assert.Throws<InvalidDataException>(() => IdxDataset.Load(dir.Path, DataSplit.Train)).Message);
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), DataTestFiles.IdxBytes([4, 3, 3], new byte[36]));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), DataTestFiles.IdxBytes([4, 1], new byte[4]));
        Assert.Contains("rank 1", Assert.Throws<InvalidDataException>(() => IdxDataset.Load(dir.Path, DataSplit.Train)).Message);
    }

    [Fact]
    public void MissingFilesAndDirectoriesAreNamed()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => MnistDataset.Load(dir.Path, DataSplit.Test));
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message);
        Assert.Contains(dir.Path, e.Message);
        string missing = Path.Combine(dir.Path, "no-such-dir");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => MnistDataset.Load(missing, DataSplit.Train)).Message);
    }

    [Fact]
    public void DatasetConstructorValidatesItsArguments()
    {
        var shape = new Knot.Tensors.Shape(1, 2, 2);
        Assert.Throws<ArgumentException>(() => new LabeledDataset("x", new float[7], [0, 1], shape, 2));
        Assert.Throws<ArgumentException>(() => new LabeledDataset("x", new float[8], [0, 2], shape, 2));
        Assert.Throws<ArgumentException>(() => new LabeledDataset("x", new float[8], [0, 1], new Knot.Tensors.Shape(8), 2));
        var ok = new LabeledDataset("x", new float[8], [0, 1], shape, 2);
        Assert.Equal(4, ok.Image(1).Length);
    }
}
