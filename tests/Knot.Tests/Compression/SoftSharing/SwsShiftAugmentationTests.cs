using System.Text.Json;
using Knot.Cli;
using Knot.Compression.SoftSharing;
using Knot.Models;
using Knot.Storage.Compressed;
using Knot.Tests.Cli;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>Random-shift augmentation of the images while retraining under the prior (SoftSharingRequest.ShiftPixels, knot sws --shift).</summary>
[Collection(SerialCollection.Name)]
public sealed class SwsShiftAugmentationTests : IDisposable
{
    private static readonly ModelSpec Spec = new("lenet-300-100", 0.1f, 1, 8, 8, 10);
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-swsshift-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string Pretrain()
    {
        string path = Path.Combine(_dir, "pre.ckpt");
        if (!File.Exists(path))
            TrainingRun.Run(new TrainRequest { Spec = Spec, Optimizer = new Knot.Optim.OptimizerConfig("sgd", 0.05f), Epochs = 2, BatchSize = 32, Seed = 7, OutPath = path },
                SyntheticData.Create(200, 1, 8, 8, seed: 6), null);
        return path;
    }

    private (float[] Weights, string Knot) Compress(int shift, string name)
    {
        var request = new SoftSharingRequest
        {
            CheckpointPath = Pretrain(), OutPath = Path.Combine(_dir, name + ".knot"), Epochs = 2, BatchSize = 32, LearningRate = 2e-3f, Seed = 5,
            Tau = 0.05f, Prior = new GaussianMixturePriorOptions { LearnedComponents = 4, ZeroMixing = 0.9, InitialSigma = 0.05 }, ShiftPixels = shift,
        };
        var r = SoftSharingPipeline.Run(request, SyntheticData.Create(200, 1, 8, 8, seed: 6), null);
        return (r.RetrainedWeights.SelectMany(w => w).ToArray(), r.KnotPath);
    }

    [Fact]
    public void ShiftedImagesChangeTheRetrainingDeterministicallyAndTheFileRecordsTheShift()
    {
        var (plain, plainKnot) = Compress(0, "plain");
        var (shifted, shiftedKnot) = Compress(1, "shifted");
        Assert.Equal(shifted, Compress(1, "again").Weights); // bit-identical on rerun: the shifts are a function of (seed, epoch, sample)
        Assert.NotEqual(plain, shifted);

        using var settings = JsonDocument.Parse(KnotFile.Read(shiftedKnot).Metadata["sws.settings"]);
        Assert.Equal(1, settings.RootElement.GetProperty("shift").GetInt32());
        // Without augmentation (the paper) the settings, and so the file's bytes, are what they were before --shift existed.
        using var plainSettings = JsonDocument.Parse(KnotFile.Read(plainKnot).Metadata["sws.settings"]);
        Assert.False(plainSettings.RootElement.TryGetProperty("shift", out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void ShiftOutsideZeroToEightIsAnArgumentError(int shift)
    {
        var request = new SoftSharingRequest { CheckpointPath = Pretrain(), OutPath = Path.Combine(_dir, "bad.knot"), ShiftPixels = shift };
        var e = Assert.Throws<ArgumentException>(() => SoftSharingPipeline.Run(request, SyntheticData.Create(20, 1, 8, 8), null));
        Assert.Contains("Shift", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.OutPath));
    }

    [Fact]
    public void SwsShiftRunsAndABadShiftIsAUsageErrorBeforeAnyWork()
    {
        var (data, ckpt) = CliHarness.TinyTrainedCheckpoint(_dir);
        string knot = Path.Combine(_dir, "sws.knot");

        foreach (var bad in new[] { "9", "-1" })
        {
            var r = CliHarness.Run("sws", "--from", ckpt, "--data", "idx:" + data, "--shift", bad, "--epochs", "1", "--out", knot);
            Assert.Equal(ExitCodes.Usage, r.Code);
            Assert.Contains("--shift", r.Err, StringComparison.Ordinal);
            Assert.False(File.Exists(knot));
            Assert.False(File.Exists(SoftSharingPipeline.CheckpointPathFor(knot)));
        }

        var ok = CliHarness.Run("sws", "--from", ckpt, "--data", "idx:" + data, "--shift", "1", "--epochs", "1", "--batch-size", "32", "--components", "4",
            "--threads", "1", "--out", knot, "--json");
        Assert.True(ok.Code == ExitCodes.Success, ok.Err);
        Assert.True(new FileInfo(knot).Length > 0);
        using var settings = JsonDocument.Parse(KnotFile.Read(knot).Metadata["sws.settings"]);
        Assert.Equal(1, settings.RootElement.GetProperty("shift").GetInt32());
    }
}
