using Knot.Cli;
using Knot.Training;

namespace Knot.Tests.Cli;

[Collection(SerialCollection.Name)]
public sealed class CliRegularizerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-clireg-" + Guid.NewGuid().ToString("N"));
    private readonly string _data;

    public CliRegularizerTests() => _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("epoch")]
    public void TrainWithGroupLassoZeroesInputColumns(string every)
    {
        string ckpt = Path.Combine(_dir, $"gl-{every}.ckpt");
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "3", "--batch-size", "32",
            "--lr", "0.05", "--reg", "group-lasso", "--lambda1", "2", "--prox-every", every, "--layers", "fc1", "--out", ckpt);
        Assert.True(r.Code == 0, r.Err);
        var loaded = ModelCheckpoint.Load(ckpt);
        Assert.Contains("group-lasso", loaded.Checkpoint.Metadata["regularizer"], StringComparison.Ordinal);
        var w = loaded.Model.NamedParameters().Single(p => p.Name == "fc1.weight").Parameter;
        int inputs = w.Shape[1], zeroColumns = 0;
        for (int j = 0; j < inputs; j++)
        {
            bool zero = true;
            for (int o = 0; o < w.Shape[0] && zero; o++) zero = w.Value.Data[o * inputs + j] == 0f;
            if (zero) zeroColumns++;
        }
        Assert.True(zeroColumns > 0, "no input column became exactly zero");
        Assert.True(loaded.History[^1].Extra["sparsity"] > 0);
    }

    [Theory]
    [InlineData("--prox-every", "0")]
    [InlineData("--prox-every", "often")]
    [InlineData("--reg", "ridge")]
    [InlineData("--lambda1", "-1")]
    [InlineData("--layers", "conv9")]
    public void BadRegularizerOptionsAreUsageErrors(string option, string value)
    {
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--reg", "growl",
            option, value, "--out", Path.Combine(_dir, "x.ckpt"));
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(option == "--layers" ? "conv9" : option.TrimStart('-'), r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.ckpt")));
    }
}
