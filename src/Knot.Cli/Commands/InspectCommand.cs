using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

public static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A checkpoint or a compressed .knot file written by knot." };
        var json = CommonOptions.Json();
        var command = new Command("inspect", "Per-layer table of a saved model: shape, parameters, non-zeros.") { file, json };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            if (KnotFiles.IsKnotFile(p.GetValue(file)!)) return KnotInspect.Run(o, p.GetValue(file)!);
            var loaded = ModelCheckpoint.Load(p.GetValue(file)!);
            var rows = loaded.Model.NamedParameters().Select(np =>
            {
                int nonZero = 0;
                foreach (var v in np.Parameter.Value.Data) if (v != 0) nonZero++;
                return (np.Name, Shape: np.Parameter.Shape.ToString(), Count: np.Parameter.Value.Length, NonZero: nonZero);
            }).ToList();
            long total = rows.Sum(r => (long)r.Count), nz = rows.Sum(r => (long)r.NonZero);
            if (o.Json)
            {
                o.WriteJson(new JsonObject
                {
                    ["model"] = loaded.Spec.Name, ["epochs_done"] = loaded.EpochsDone, ["parameters"] = total, ["nonzero"] = nz,
                    ["layers"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["shape"] = r.Shape, ["parameters"] = r.Count, ["nonzero"] = r.NonZero }).ToArray()),
                    ["history"] = Reporting.HistoryJson.ToJson(loaded.History), // per epoch: losses, accuracies, lr, regularizer extras
                });
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("tensor", "shape", "parameters", "non-zero", "density");
            foreach (var r in rows) table.AddRow(r.Name, r.Shape, $"{r.Count:N0}", $"{r.NonZero:N0}", $"{(double)r.NonZero / Math.Max(1, r.Count):P1}");
            table.AddRow("[bold]total[/]", "", $"{total:N0}", $"{nz:N0}", $"{(double)nz / Math.Max(1, total):P1}");
            o.Console.MarkupLine($"[bold]{loaded.Spec.Name}[/] (width {loaded.Spec.Width}), {loaded.EpochsDone} epochs trained");
            o.Console.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }
}
