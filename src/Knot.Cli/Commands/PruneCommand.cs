using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Compression.DeepCompression;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

public static class PruneCommand
{
    public static Command Create()
    {
        var c = new CompressionOptions();
        var output = new Option<string>("--out") { Description = "Checkpoint of the pruned, retrained model.", Required = true };
        var command = new Command("prune", "Magnitude pruning per layer, then retraining with the pruned weights held at zero.");
        c.AddTo(command);
        command.Options.Add(output);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(c.Json));
            var (loaded, model) = CompressionOptions.LoadModel(p, c);
            var options = c.Parse(p, loaded.Spec.Name, requireRule: true);
            var (train, test) = CompressionOptions.LoadData(p, c, loaded);
            double? accuracy = o.WithProgress("prune", progress => DeepCompressionPipeline.PruneAndRetrain(model, options, train, test, progress));
            string outPath = p.GetValue(output)!;
            ModelCheckpoint.Save(outPath, loaded.Spec, model, loaded.EpochsDone, loaded.Seed, extraMetadata: new Dictionary<string, string> { ["knot.method"] = "pruned" });
            long total = model.ParameterCount(), nonZero = 0;
            foreach (var prm in model.Parameters()) foreach (var v in prm.Value.Data) if (v != 0f) nonZero++;
            if (o.Json)
                o.WriteJson(new JsonObject { ["test_accuracy"] = accuracy, ["parameters"] = total, ["nonzero"] = nonZero, ["density"] = (double)nonZero / total, ["out"] = outPath });
            else
                o.Console.MarkupLine($"Pruned to {nonZero:N0} of {total:N0} parameters ({(double)nonZero / total:P1}); test accuracy [bold green]{accuracy:P2}[/]. Saved {Markup.Escape(outPath)}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
