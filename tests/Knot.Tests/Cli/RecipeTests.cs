using Knot.Cli;
using Knot.Cli.Commands;

namespace Knot.Tests.Cli;

public sealed class RecipeTests
{
    private static string Write(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), "knot-recipe-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void BothStepFormsAndVariablesBecomeCommandLines()
    {
        var path = Write("""
            vars: { seed: "1", out: runs/x }
            steps:
              - growl: { model: growl-mnist, data: mnist, epochs: "3", json: true, seed: "${seed}", out: "${out}/g" }
              - name: pack
                command: knot pack ${out}/g/retrained.ckpt --out ${out}/g.knot
            """);
        try
        {
            var steps = RunRecipeCommand.Parse(path, ["seed=7"]);
            Assert.Equal(["growl", "--model", "growl-mnist", "--data", "mnist", "--epochs", "3", "--json", "--seed", "7", "--out", "runs/x/g"], steps[0]);
            Assert.Equal(["pack", "runs/x/g/retrained.ckpt", "--out", "runs/x/g.knot"], steps[1]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ShippedRecipesParse()
    {
        var root = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(root, "recipes"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("recipes/");
        var cli = Program.BuildRoot();
        foreach (var recipe in Directory.GetFiles(Path.Combine(root, "recipes"), "*.yaml"))
        {
            var steps = RunRecipeCommand.Parse(recipe, []);
            Assert.NotEmpty(steps);
            // every step is a valid command line: an option renamed or mistyped in a recipe fails here, not mid-experiment
            foreach (var step in steps)
            {
                var errors = cli.Parse(step).Errors;
                Assert.True(errors.Count == 0, $"{Path.GetFileName(recipe)}: {string.Join(" ", step)}: {string.Join("; ", errors.Select(e => e.Message))}");
            }
        }
    }

    [Fact]
    public void ARecipeNumbersItsStepsStopsAtTheFirstFailureAndGoesOnFromAGivenStep()
    {
        var dir = Path.Combine(Path.GetTempPath(), "knot-recipe-from-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (_, checkpoint) = CliHarness.TinyTrainedCheckpoint(dir);
            var path = Write($"""
                steps:
                  - name: broken
                    command: knot inspect {Path.Combine(dir, "missing.ckpt")}
                  - name: fine
                    command: knot inspect {checkpoint} --json
                """);
            try
            {
                var failed = CliHarness.Run("run-recipe", path);
                Assert.Equal(ExitCodes.InputError, failed.Code);
                Assert.Contains("[1/2] $ knot inspect", failed.Err, StringComparison.Ordinal);
                Assert.Contains("step 1 of 2 failed", failed.Err, StringComparison.Ordinal);
                Assert.DoesNotContain("[2/2]", failed.Err, StringComparison.Ordinal);

                var resumed = CliHarness.Run("run-recipe", path, "--from", "2");
                Assert.True(resumed.Code == 0, resumed.Err);
                Assert.DoesNotContain("[1/2]", resumed.Err, StringComparison.Ordinal);
                Assert.Contains("[2/2] $ knot inspect", resumed.Err, StringComparison.Ordinal);

                Assert.Equal(ExitCodes.Usage, CliHarness.Run("run-recipe", path, "--from", "3").Code);
            }
            finally { File.Delete(path); }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UndefinedVariableAndBadYamlAreClearErrors()
    {
        var undefined = Write("steps:\n  - train: { seed: \"${nope}\" }\n");
        var broken = Write("steps: [ {\n");
        try
        {
            Assert.Contains("nope", Assert.Throws<InvalidDataException>(() => RunRecipeCommand.Parse(undefined, [])).Message, StringComparison.Ordinal);
            Assert.Contains("invalid YAML", Assert.Throws<InvalidDataException>(() => RunRecipeCommand.Parse(broken, [])).Message, StringComparison.Ordinal);
        }
        finally { File.Delete(undefined); File.Delete(broken); }
    }
}
