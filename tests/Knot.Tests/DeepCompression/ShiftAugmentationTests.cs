using Knot.Cli;
using Knot.Compression.DeepCompression;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Tests.Cli;

namespace Knot.Tests.DeepCompression;

/// <summary>Random-shift augmentation of the retraining and fine-tuning images (DeepCompressionOptions.ShiftPixels, knot dc --shift).</summary>
[Collection(SerialCollection.Name)]
public sealed class ShiftAugmentationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-dcshift-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static float[] Compress(int shift)
    {
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10);
        var train = Training.SyntheticData.Create(200, 1, 8, 8, seed: 6);
        var model = (Sequential)ModelZoo.Create(spec, new KnotRandom(4));
        var options = new DeepCompressionOptions
        {
            Pruning = PruningRule.BySparsity(0.8), RetrainEpochs = 2, FineTuneEpochs = 1, LinearBits = 4, BatchSize = 32,
            Optimizer = new OptimizerConfig("sgd", 0.05f, 0.9f), ShiftPixels = shift,
        };
        var r = DeepCompressionPipeline.Run(model, spec, options, train, null);
        Assert.All(r.Layers, l => Assert.Equal(0.2, l.Density, 2));
        return model.Parameters().SelectMany(p => p.Data.ToArray()).ToArray();
    }

    [Fact]
    public void ShiftedImagesChangeTheRetrainingDeterministically()
    {
        var plain = Compress(0);
        var shifted = Compress(1);
        Assert.Equal(shifted, Compress(1)); // bit-identical on rerun: the shifts are a function of (seed, epoch, sample)
        Assert.NotEqual(plain, shifted);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void ShiftOutsideZeroToEightIsAnArgumentError(int shift)
    {
        var model = (Sequential)ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(1));
        var data = Training.SyntheticData.Create(20, 1, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(model, null, new DeepCompressionOptions { ShiftPixels = shift }, data, null));
        Assert.Contains("Shift", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DcShiftRunsAndABadShiftIsAUsageErrorBeforeAnyWork()
    {
        var (data, ckpt) = CliHarness.TinyTrainedCheckpoint(_dir);
        string knot = Path.Combine(_dir, "m.knot");

        var bad = CliHarness.Run("dc", "--from", ckpt, "--data", "idx:" + data, "--sparsity", "0.5", "--shift", "9", "--out", knot);
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Contains("--shift", bad.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(knot));

        var ok = CliHarness.Run("dc", "--from", ckpt, "--data", "idx:" + data, "--sparsity", "0.5", "--shift", "1", "--retrain-epochs", "1",
            "--finetune-epochs", "1", "--batch-size", "32", "--out", knot, "--json");
        Assert.True(ok.Code == ExitCodes.Success, ok.Err);
        Assert.True(new FileInfo(knot).Length > 0);
    }
}
