using Knot.Cli;

namespace Knot.Tests.Cli;

/// <summary>Every bad input gets one clear line on stderr, a documented exit code, and no partial output file.</summary>
[Collection(SerialCollection.Name)]
public sealed class CliErrorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-cli-" + Guid.NewGuid().ToString("N"));
    private readonly string _data;

    public CliErrorTests() => _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string Out(string name) => Path.Combine(_dir, name);

    private static void AssertOneLineError((int Code, string Out, string Err) r, int code, string contains)
    {
        Assert.Equal(code, r.Code);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 1 && lines.Length <= 4, $"expected a short error, got:\n{r.Err}");
        Assert.Contains(contains, r.Err, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal); // no stack trace
    }

    private (int, string, string) Train(string outFile, params string[] extra) =>
        CliHarness.Run(["train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--batch-size", "32", "--out", outFile, .. extra]);

    [Fact]
    public void MissingDataDirectory()
    {
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--data", "idx:" + Out("nope"), "--epochs", "1", "--out", Out("m.ckpt"));
        AssertOneLineError(r, ExitCodes.InputError, "nope");
        Assert.False(File.Exists(Out("m.ckpt")));
    }

    [Fact]
    public void WrongIdxMagic()
    {
        var bad = Path.Combine(_dir, "bad");
        CliHarness.CreateMnistLikeData(bad);
        var file = Path.Combine(bad, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(file);
        bytes[0] = 0x42;
        File.WriteAllBytes(file, bytes);
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--data", "idx:" + bad, "--epochs", "1", "--out", Out("m.ckpt"));
        AssertOneLineError(r, ExitCodes.InputError, "train-images-idx3-ubyte");
        Assert.False(File.Exists(Out("m.ckpt")));
    }

    [Fact]
    public void TruncatedIdxAtSeveralCuts()
    {
        var bad = Path.Combine(_dir, "trunc");
        CliHarness.CreateMnistLikeData(bad);
        var file = Path.Combine(bad, "t10k-labels-idx1-ubyte");
        var full = File.ReadAllBytes(file);
        foreach (int cut in new[] { 0, 3, 7, 8, full.Length / 2, full.Length - 1 })
        {
            File.WriteAllBytes(file, full[..cut]);
            var r = CliHarness.Run("train", "--model", "lenet-300-100", "--data", "idx:" + bad, "--epochs", "1", "--out", Out("m.ckpt"));
            AssertOneLineError(r, ExitCodes.InputError, "t10k-labels-idx1-ubyte");
            Assert.False(File.Exists(Out("m.ckpt")));
        }
    }

    [Fact]
    public void ImageLabelCountMismatch()
    {
        var bad = Path.Combine(_dir, "mismatch");
        CliHarness.CreateMnistLikeData(bad);
        var other = Path.Combine(_dir, "other");
        CliHarness.CreateMnistLikeData(other, trainCount: 100);
        File.Copy(Path.Combine(other, "train-labels-idx1-ubyte"), Path.Combine(bad, "train-labels-idx1-ubyte"), overwrite: true);
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--data", "idx:" + bad, "--epochs", "1", "--out", Out("m.ckpt"));
        AssertOneLineError(r, ExitCodes.InputError, "100");
    }

    [Fact]
    public void UnknownModelAndDataset()
    {
        AssertOneLineError(CliHarness.Run("train", "--model", "resnet-152", "--data", "idx:" + _data, "--out", Out("m.ckpt")), ExitCodes.Usage, "lenet-300-100");
        AssertOneLineError(CliHarness.Run("train", "--model", "lenet-300-100", "--data", "imagenet", "--out", Out("m.ckpt")), ExitCodes.Usage, "imagenet");
        Assert.False(File.Exists(Out("m.ckpt")));
    }

    [Theory]
    [InlineData("--lr", "-1")]
    [InlineData("--lr", "NaN")]
    [InlineData("--epochs", "-3")]
    [InlineData("--batch-size", "0")]
    [InlineData("--optimizer", "rmsprop")]
    [InlineData("--lr-schedule", "step:x")]
    [InlineData("--momentum", "1.5")]
    [InlineData("--threads", "0")]
    [InlineData("--init", "xavier-ish")]
    public void InvalidOptionValues(string option, string value)
    {
        var r = Train(Out("m.ckpt"), option, value);
        AssertOneLineError(r, ExitCodes.Usage, option.TrimStart('-').Split('-')[0]);
        Assert.False(File.Exists(Out("m.ckpt")));
    }

    [Fact]
    public void BiasBitsOtherThan16Or32AreUsageErrorsBeforeAnyWork()
    {
        var ckpt = Out("bias.ckpt");
        Assert.Equal(0, Train(ckpt).Item1);
        AssertOneLineError(CliHarness.Run("dc", "--from", ckpt, "--data", "idx:" + _data, "--sparsity", "0.5", "--bias-bits", "8", "--out", Out("b.knot")),
            ExitCodes.Usage, "--bias-bits");
        AssertOneLineError(CliHarness.Run("sws", "--from", ckpt, "--data", "idx:" + _data, "--bias-bits", "16", "--include-biases", "--out", Out("b.knot")),
            ExitCodes.Usage, "IncludeBiases");
        Assert.False(File.Exists(Out("b.knot")));
    }

    [Fact]
    public void CorruptAndTruncatedCheckpoints()
    {
        var good = Out("good.ckpt");
        var trained = Train(good);
        Assert.True(trained.Item1 == 0, trained.Item3);
        var bytes = File.ReadAllBytes(good);
        foreach (int cut in new[] { 0, 5, 40, bytes.Length / 3, bytes.Length - 1 })
        {
            File.WriteAllBytes(Out("cut.ckpt"), bytes[..cut]);
            AssertOneLineError(CliHarness.Run("eval", Out("cut.ckpt"), "--data", "idx:" + _data), ExitCodes.InputError, "cut.ckpt");
        }
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(Out("flip.ckpt"), flipped);
        AssertOneLineError(CliHarness.Run("eval", Out("flip.ckpt"), "--data", "idx:" + _data), ExitCodes.InputError, "flip.ckpt");
        AssertOneLineError(CliHarness.Run("eval", Out("absent.ckpt"), "--data", "idx:" + _data), ExitCodes.InputError, "absent.ckpt");
    }

    [Fact]
    public void CheckpointForAnotherModelCannotBeResumedAsThisOne()
    {
        var ckpt = Out("l300.ckpt");
        Assert.Equal(0, Train(ckpt).Item1);
        var r = CliHarness.Run("train", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--out", Out("g.ckpt"), "--resume", ckpt);
        AssertOneLineError(r, ExitCodes.InputError, "lenet-300-100");
        Assert.False(File.Exists(Out("g.ckpt")));
    }

    [Fact]
    public void ARunResumesOnlyWithItsOwnRegularizer()
    {
        var ckpt = Out("gl.ckpt");
        Assert.Equal(0, Train(ckpt, "--reg", "group-lasso", "--lambda1", "0.5").Item1);
        string[] resume = ["train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--batch-size", "32", "--resume", ckpt];
        AssertOneLineError(CliHarness.Run([.. resume, "--out", Out("other.ckpt"), "--reg", "group-lasso", "--lambda1", "0.7"]), ExitCodes.Usage, "regularizer");
        AssertOneLineError(CliHarness.Run([.. resume, "--out", Out("none.ckpt")]), ExitCodes.Usage, "none");
        AssertOneLineError(CliHarness.Run(["train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "0", "--batch-size", "32",
            "--resume", ckpt, "--out", Out("fewer.ckpt"), "--reg", "group-lasso", "--lambda1", "0.5"]), ExitCodes.Usage, "epochs done 1");
        Assert.False(File.Exists(Out("other.ckpt")) || File.Exists(Out("none.ckpt")) || File.Exists(Out("fewer.ckpt")));
        Assert.Equal(0, CliHarness.Run([.. resume, "--out", Out("same.ckpt"), "--reg", "group-lasso", "--lambda1", "0.5"]).Code);
    }

    [Fact]
    public void TrainEvalInspectWorkAndJsonIsParseable()
    {
        var ckpt = Out("ok.ckpt");
        var r = Train(ckpt, "--json");
        Assert.Equal(0, r.Item1);
        var json = System.Text.Json.Nodes.JsonNode.Parse(r.Item2)!;
        foreach (var key in new[] { "test_accuracy", "test_loss", "epochs", "seconds", "parameters" }) Assert.NotNull(json[key]);
        var e = CliHarness.Run("eval", ckpt, "--data", "idx:" + _data, "--json");
        Assert.Equal(0, e.Code);
        Assert.Equal((double)json["test_accuracy"]!, (double)System.Text.Json.Nodes.JsonNode.Parse(e.Out)!["test_accuracy"]!, 6);
        var i = CliHarness.Run("inspect", ckpt, "--json");
        Assert.Equal(0, i.Code);
        var inspected = System.Text.Json.Nodes.JsonNode.Parse(i.Out)!;
        Assert.Equal((long)json["parameters"]!, (long)inspected["parameters"]!);
        var history = inspected["history"]!.AsArray(); // the per-epoch record kept in the checkpoint
        Assert.Single(history);
        Assert.Equal(1, (int)history[0]!["epoch"]!);
        Assert.Equal((double)json["test_accuracy"]!, (double)history[0]!["test_accuracy"]!, 6);
    }

    [Fact]
    public void TrainWithTheGrowlReferenceInitStartsFromThoseWeights()
    {
        var plain = Out("plain.ckpt");
        var reference = Out("ref.ckpt");
        string[] Untrained(string path) => ["train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "0", "--out", path];
        Assert.Equal(0, CliHarness.Run(Untrained(plain)).Code);
        Assert.Equal(0, CliHarness.Run([.. Untrained(reference), "--init", "growl-reference"]).Code);
        var a = Knot.Training.ModelCheckpoint.Load(plain).Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Data.ToArray());
        var b = Knot.Training.ModelCheckpoint.Load(reference).Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Data.ToArray());
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.NotEqual(a["fc1.weight"], b["fc1.weight"]);
        Assert.All(b["fc1.bias"], v => Assert.Equal(0.1f, v));
    }
}
