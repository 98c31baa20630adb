using Knot.Cli;
using Knot.Training;

namespace Knot.Tests.Cli;

[Collection(SerialCollection.Name)]
public sealed class CliRegularizerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-clireg-" + Guid.NewGuid().ToString("N"));
    private readonly string _data;

    private readonly Lazy<string> _teacher;

    public CliRegularizerTests()
    {
        _data = CliHarness.CreateMnistLikeData(Path.Combine(_dir, "data"));
        _teacher = new Lazy<string>(() =>
        {
            string path = Path.Combine(_dir, "teacher.ckpt");
            var spec = Knot.Models.ModelZoo.DefaultSpec("lenet-300-100", 0.1f);
            ModelCheckpoint.Save(path, spec, Knot.Models.ModelZoo.Create(spec, new Knot.Tensors.KnotRandom(3)), 0, 3);
            return path;
        });
    }

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

    [Fact]
    public void TieThenRetrainThenPackRunAsSeparateStages()
    {
        string stage1 = Path.Combine(_dir, "s1.ckpt"), structure = Path.Combine(_dir, "structure.json");
        string retrained = Path.Combine(_dir, "re.ckpt"), packed = Path.Combine(_dir, "re.knot");
        // Sparsity is a threshold effect in λ: take the first strength that removes some but not all input groups.
        (int Code, string Out, string Err) r = default;
        int zero = 0, groups = 0;
        foreach (var lambda in new[] { "0.6", "0.9", "1.2", "1.6" })
        {
            r = CliHarness.Run("train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "3", "--batch-size", "32",
                "--lr", "0.05", "--reg", "group-lasso", "--lambda1", lambda, "--layers", "fc1", "--out", stage1);
            Assert.True(r.Code == 0, r.Err);
            r = CliHarness.Run("tie", stage1, "--layers", "fc1", "--out", structure, "--json");
            Assert.True(r.Code == 0, r.Err);
            var layer = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!["layers"]![0]!;
            (zero, groups) = ((int)layer["zero_groups"]!, (int)layer["groups"]!);
            if (zero > 0 && zero < groups) break;
        }
        Assert.True(zero > 0 && zero < groups, $"no λ gave a partial structure (last: {zero} of {groups} groups zero)");
        // A cluster cap lowers the preference until at most that many clusters remain, and says which preference it used.
        r = CliHarness.Run("tie", stage1, "--layers", "fc1", "--clusters", "9,fc1=2", "--out", structure, "--json");
        Assert.True(r.Code == 0, r.Err);
        var capped = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!["layers"]![0]!;
        Assert.InRange((int)capped["clusters"]!, 1, 2);
        Assert.True((double)capped["preference"]! < 0.6);
        Assert.Equal((double)capped["preference"]!, Knot.Compression.Growl.GrowlStructure.FromJson(File.ReadAllText(structure), "structure.json")[0].Preference);
        r = CliHarness.Run("retrain", stage1, "--structure", structure, "--data", "idx:" + _data, "--epochs", "1", "--batch-size", "32", "--lr", "0.05",
            "--optimizer", "adamw", "--l2", "0.001", "--shift", "1", "--teacher", stage1, "--distill-weight", "0.3", "--out", retrained);
        Assert.True(r.Code == 0, r.Err);
        var loadedRetrained = ModelCheckpoint.Load(retrained);
        Assert.Equal("adamw", loadedRetrained.Optimizer!.Kind);
        Assert.Equal("teacher s1.ckpt, weight 0.3, temperature 4", loadedRetrained.Checkpoint.Metadata["distillation"]);
        var map = Knot.Compression.Growl.GrowlStructure.FromJson(File.ReadAllText(structure), "structure.json")[0].ToTieMap();
        var w = ModelCheckpoint.Load(retrained).Model.NamedParameters().Single(p => p.Name == "fc1.weight").Parameter.Value.Data;
        Assert.True(map.IsSatisfiedBy(w));
        r = CliHarness.Run("pack", retrained, "--out", packed);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(0, CliHarness.Run("eval", packed, "--data", "idx:" + _data).Code);
    }

    [Fact]
    public void RetrainWithAMissingStructureFileIsAnInputError()
    {
        var r = CliHarness.Run("retrain", Path.Combine(_dir, "none.ckpt"), "--structure", Path.Combine(_dir, "none.json"), "--data", "idx:" + _data, "--out", Path.Combine(_dir, "o.ckpt"));
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("none.json", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--prox-every", "0")]
    [InlineData("--prox-every", "often")]
    [InlineData("--reg", "ridge")]
    [InlineData("--lambda1", "-1")]
    [InlineData("--layers", "conv9")]
    [InlineData("--lambda1", "2,fc9=3")]
    [InlineData("--lambda1", "fc1=x")]
    [InlineData("--lambda2", "fc1=-1")]
    public void BadRegularizerOptionsAreUsageErrors(string option, string value)
    {
        var r = CliHarness.Run("train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--reg", "growl",
            option, value, "--out", Path.Combine(_dir, "x.ckpt"));
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(option == "--layers" ? "conv9" : option.TrimStart('-'), r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.ckpt")));
    }

    [Theory]
    [InlineData("--clusters", "-1", "--clusters")]
    [InlineData("--clusters", "2.5", "--clusters")]
    [InlineData("--clusters", "fc9=4", "fc9")]
    [InlineData("--compression", "0.5", "--compression")]
    [InlineData("--compression", "fc9=4", "fc9")]
    [InlineData("--retrain-optimizer", "rmsprop", "Retraining stage")]
    [InlineData("--retrain-lr", "0", "Retraining stage")]
    [InlineData("--retrain-lr-schedule", "wobbly", "Retraining stage")]
    [InlineData("--retrain-shift", "9", "--retrain-shift")]
    [InlineData("--distill-weight", "1.5", "--distill-weight")]
    [InlineData("--distill-temperature", "0", "--distill-temperature")]
    public void BadRetrainingOptionsOfGrowlAreUsageErrors(string option, string value, string named)
    {
        string outDir = Path.Combine(_dir, "bad-growl");
        var r = CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", option, value, "--out", outDir);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(named, r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void GrowlRetrainingStageHasItsOwnOptimizerScheduleAndShift()
    {
        string outDir = Path.Combine(_dir, "g2");
        var r = CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--retrain-epochs", "1",
            "--lr", "0.05", "--lambda1", "0.5", "--l2", "0.001", "--clusters", "3", "--retrain-optimizer", "adamw", "--retrain-lr", "0.003",
            "--retrain-lr-schedule", "cosine", "--retrain-shift", "1", "--teacher", _teacher.Value, "--distill-weight", "0.25", "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!;
        Assert.InRange((int)summary["layers"]![0]!["clusters"]!, 0, 3);
        Assert.True((double)summary["layers"]![0]!["preference"]! <= 0.6); // the preference the cap led to is recorded
        var stage1 = ModelCheckpoint.Load(Path.Combine(outDir, "stage1.ckpt")).Optimizer!;
        var stage2 = ModelCheckpoint.Load(Path.Combine(outDir, "retrained.ckpt")).Optimizer!;
        Assert.Equal(("sgd", 0.05f, 0.001f), (stage1.Kind, stage1.LearningRate, stage1.WeightDecay));
        Assert.Equal(("adamw", 0.003f, "cosine", 0.001f), (stage2.Kind, stage2.LearningRate, stage2.Schedule, stage2.WeightDecay));
        Assert.Equal("teacher teacher.ckpt, weight 0.25, temperature 4", ModelCheckpoint.Load(Path.Combine(outDir, "retrained.ckpt")).Checkpoint.Metadata["distillation"]);
    }

    [Fact]
    public void GrowlWarnsWhenStage1KillsEveryInputOfALayer()
    {
        string outDir = Path.Combine(_dir, "collapse");
        var r = CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--retrain-epochs", "1",
            "--reg", "group-lasso", "--lambda1", "100000", "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!;
        Assert.Equal(1.0, (double)summary["sparsity"]!);
        string warning = (string)summary["warnings"]![0]!;
        Assert.Contains("zeroed all 784 input groups of fc1.weight", warning, StringComparison.Ordinal);
        Assert.Contains("knot: warning: " + warning, r.Err, StringComparison.Ordinal);

        var healthy = CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1", "--retrain-epochs", "1",
            "--reg", "group-lasso", "--lambda1", "0.5", "--out", Path.Combine(_dir, "healthy"), "--json");
        Assert.True(healthy.Code == 0, healthy.Err);
        Assert.Empty(System.Text.Json.Nodes.JsonNode.Parse(healthy.Out)!["warnings"]!.AsArray());
        Assert.DoesNotContain("warning", healthy.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void GrowlContinuesAStage1CheckpointAndRefusesAMissingOne()
    {
        string[] common = ["growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "2", "--retrain-epochs", "1",
            "--lr", "0.05", "--reg", "group-lasso", "--lambda1", "0.5", "--json"];
        var first = CliHarness.Run([.. common, "--out", Path.Combine(_dir, "first")]);
        Assert.True(first.Code == 0, first.Err);
        var again = CliHarness.Run([.. common, "--stage1", Path.Combine(_dir, "first", "stage1.ckpt"), "--compression", "261", "--out", Path.Combine(_dir, "again")]);
        Assert.True(again.Code == 0, again.Err);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(again.Out)!;
        Assert.Equal((double)System.Text.Json.Nodes.JsonNode.Parse(first.Out)!["stage1_test_accuracy"]!, (double)summary["stage1_test_accuracy"]!);
        Assert.InRange((int)summary["layers"]![0]!["clusters"]!, 1, 3); // ⌊784 / 261⌋ = 3
        Assert.True((double)summary["layers"]![0]!["compression"]! >= 261);

        var missing = CliHarness.Run([.. common, "--stage1", Path.Combine(_dir, "nope.ckpt"), "--out", Path.Combine(_dir, "missing")]);
        Assert.Equal(ExitCodes.InputError, missing.Code);
        Assert.Contains("nope.ckpt", missing.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void AMissingTeacherIsAnInputErrorThatNamesIt()
    {
        string outDir = Path.Combine(_dir, "no-teacher");
        var r = CliHarness.Run("growl", "--model", "growl-mnist", "--width", "0.1", "--data", "idx:" + _data, "--epochs", "1",
            "--teacher", Path.Combine(_dir, "absent.ckpt"), "--out", outDir);
        Assert.Equal(ExitCodes.InputError, r.Code);
        Assert.Contains("absent.ckpt", r.Err, StringComparison.Ordinal);
    }
}
