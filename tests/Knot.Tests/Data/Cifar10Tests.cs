using Knot.Data;

namespace Knot.Tests.Data;

public sealed class Cifar10Tests
{
    private static void WriteTrain(string dir, int recordsPerBatch = 2)
    {
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), DataTestFiles.CifarBatch(recordsPerBatch, b));
    }

    [Fact]
    public void RecordsBecomeNchwWithPerChannelNormalization()
    {
        using var dir = new TempDir();
        WriteTrain(dir.Path);
        var data = Cifar10Dataset.Load(dir.Path, DataSplit.Train);
        Assert.Equal(10, data.Count);
        Assert.Equal(new Knot.Tensors.Shape(3, 32, 32), data.ImageShape);
        var norm = ChannelNormalization.Cifar10;
        for (int sample = 0; sample < 10; sample++)
        {
            int batch = sample / 2, record = sample % 2;
            Assert.Equal((batch + 1 + record) % 10, data.Labels[sample]);
            var image = data.Image(sample);
            foreach (int c in new[] { 0, 1, 2 })
                foreach (int p in new[] { 0, 31, 32, 517, 1023 })
                {
                    float raw = DataTestFiles.CifarPixel(record, c, p) / 255f;
                    Assert.Equal((raw - norm.Mean[c]) / norm.Std[c], image[c * 1024 + p]);
                }
        }
    }

    [Fact]
    public void RawUnitRangeAndNestedDirectory()
    {
        using var dir = new TempDir();
        string nested = Path.Combine(dir.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(nested);
        File.WriteAllBytes(Path.Combine(nested, "test_batch.bin"), DataTestFiles.CifarBatch(3, 0));
        var data = Cifar10Dataset.Load(dir.Path, DataSplit.Test, ChannelNormalization.Identity(3));
        Assert.Equal(3, data.Count);
        Assert.Equal(DataTestFiles.CifarPixel(2, 1, 100) / 255f, data.Image(2)[1024 + 100]);
    }

    [Fact]
    public void SizeNotAMultipleOfTheRecordIsRefused()
    {
        using var dir = new TempDir();
        WriteTrain(dir.Path);
        string bad = dir.File("data_batch_4.bin");
        File.WriteAllBytes(bad, DataTestFiles.CifarBatch(2, 0)[..6000]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Dataset.Load(dir.Path, DataSplit.Train));
        Assert.Contains(bad, e.Message);
        Assert.Contains("multiple of 3073", e.Message);
        Assert.Contains("found 6000", e.Message);
        File.WriteAllBytes(bad, []);
        Assert.Contains("found 0", Assert.Throws<InvalidDataException>(() => Cifar10Dataset.Load(dir.Path, DataSplit.Train)).Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRefused()
    {
        using var dir = new TempDir();
        var bytes = DataTestFiles.CifarBatch(2, 0);
        bytes[3073] = 10;
        File.WriteAllBytes(dir.File("test_batch.bin"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Dataset.Load(dir.Path, DataSplit.Test));
        Assert.Contains("record 1 has label 10", e.Message);
    }

    [Fact]
    public void MissingBatchIsNamed()
    {
        using var dir = new TempDir();
        WriteTrain(dir.Path);
        File.Delete(dir.File("data_batch_3.bin"));
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10Dataset.Load(dir.Path, DataSplit.Train));
        Assert.Contains("data_batch_3.bin", e.Message);
    }
}
