using System.Text.Json;
using System.Text.Json.Nodes;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli;

/// <summary>Console rendering: tables and progress for people, one JSON object on stdout for machines (--json).</summary>
public sealed class Output(bool json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public bool Json { get; } = json;

    /// <summary>Human messages go to stderr under --json so stdout stays one parseable JSON document.</summary>
    public IAnsiConsole Console { get; } = CreateConsole(json ? System.Console.Error : System.Console.Out, json ? System.Console.IsErrorRedirected : System.Console.IsOutputRedirected);

    /// <summary>Logs and pipes get plain text (no escape codes) laid out 160 columns wide instead of wrapped at 80.</summary>
    private static IAnsiConsole CreateConsole(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected) console.Profile.Width = 160;
        return console;
    }

    public void WriteJson(JsonObject result) => System.Console.Out.WriteLine(Serialize(result));

    /// <summary>JSON text; non-finite numbers (e.g. ∞ compression when every group is removed) become null so any parser reads it.</summary>
    public static string Serialize(JsonNode node) => Knot.Reporting.JsonValues.ReplaceNonFinite(node)!.ToJsonString(Indented);

    public void Info(string markup)
    {
        if (!Json) Console.MarkupLine(markup);
    }

    /// <summary>A warning on stderr, also with --json (whose result carries it too): plain text, not markup.</summary>
    public static void Warn(string text) => System.Console.Error.WriteLine("knot: warning: " + text);

    /// <summary>Runs work with a live progress bar (loss, accuracy, samples/s, ETA) unless output is redirected or JSON.</summary>
    public T WithProgress<T>(string title, Func<IProgress<TrainingProgress>?, T> work)
    {
        // A live bar only on a real terminal; logs, CI and --json get one line per epoch on stderr.
        if (Json || System.Console.IsErrorRedirected || System.Console.IsOutputRedirected)
            return work(new LineProgress(Console));
        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                try { result = work(new BarProgress(task, title)); }
                catch (Exception e) { failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
                task.Value = task.MaxValue;
            });
        failure?.Throw();
        return result;
    }

    private sealed class BarProgress(ProgressTask task, string title) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            double done = p.Epochs == 0 ? 1 : (p.Epoch + (double)p.Step / Math.Max(1, p.StepsPerEpoch)) / p.Epochs;
            task.Value = Math.Min(1.0, done);
            task.Description = Markup.Escape($"{title} epoch {p.Epoch + 1}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P2} {p.SamplesPerSecond:F0}/s {p.Phase}");
        }
    }

    /// <summary>For logs and CI: one line per finished epoch instead of a redrawn bar.</summary>
    private sealed class LineProgress(IAnsiConsole? console) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (console is null || !p.Phase.EndsWith("eval", StringComparison.Ordinal)) return;
            console.WriteLine($"{(p.Phase.Length > 4 ? p.Phase[..^5] + " " : "")}epoch {p.Epoch + 1}/{p.Epochs}: train loss {p.Loss:F4}, train acc {p.Accuracy:P2}, {p.Elapsed.TotalSeconds:F1}s");
        }
    }
}
