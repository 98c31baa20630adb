using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Data;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A checkpoint (.ckpt) written by knot train, or a compressed .knot file (evaluated by compressed inference)." };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Test accuracy and loss of a saved model.") { file, data, json, threads };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            if (KnotFiles.IsKnotFile(p.GetValue(file)!)) return KnotEval.Run(o, p.GetValue(file)!, p.GetValue(data));
            var spec = CommonOptions.ParseData(p.GetValue(data));
            var loaded = ModelCheckpoint.Load(p.GetValue(file)!);
            var test = spec.Load(DataSplit.Test);
            TrainingRun.CheckDataFitsModel(loaded.Spec, test);
            var result = Evaluator.Evaluate(loaded.Model, test);
            if (o.Json)
                o.WriteJson(new JsonObject { ["model"] = loaded.Spec.Name, ["test_accuracy"] = result.Accuracy, ["test_loss"] = result.Loss, ["samples"] = result.Samples });
            else
                o.Console.MarkupLine($"{loaded.Spec.Name}: test accuracy [bold green]{result.Accuracy:P2}[/], loss {result.Loss:F4} on {result.Samples} samples");
            return ExitCodes.Success;
        }));
        return command;
    }
}
