using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Reporting;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>`knot report RUN --out FILE.html`: one self-contained HTML report (inline SVG, no JavaScript, no network).</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run")
        {
            Description = "What a knot command wrote: a checkpoint (train), a GrOWL directory (growl --out DIR), a .knot file (sws, dc, pack) or a directory with compare.json (compare).",
        };
        var output = new Option<string>("--out") { Description = "The HTML file to write.", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("report", "Write a self-contained HTML report of a run: curves, per-layer table, structure plots, accuracy vs file size.") { run, output, json };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            string path = p.GetValue(run)!, outPath = p.GetValue(output)!;
            var (kind, plots, bytes) = RunReports.Write(path, outPath);
            if (o.Json)
                o.WriteJson(new JsonObject
                {
                    ["run"] = path, ["kind"] = kind.ToString(), ["out"] = outPath, ["bytes"] = bytes,
                    ["plots"] = new JsonArray(plots.Select(k => (JsonNode)k).ToArray()),
                });
            else
                o.Console.MarkupLine($"Wrote {Markup.Escape(outPath)} ({bytes:N0} bytes): {kind} report with plots {Markup.Escape(string.Join(", ", plots))}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
