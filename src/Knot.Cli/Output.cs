using System.Text.Json;
using System.Text.Json.Nodes;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli;

/// <summary>Console rendering: tables and progress for people, one JSON object on stdout for machines (--json).</summary>
public sealed class Output(bool json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public bool Json { get; } = json;

    /// <summary>Human messages go to stderr under --json so stdout stays one parseable JSON document.</summary>
    public IAnsiConsole Console { get; } = json
        ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) })
        : AnsiConsole.Console;

    public void WriteJson(JsonObject result) => System.Console.Out.WriteLine(result.ToJsonString(Indented));

    public void Info(string markup)
    {
        if (!Json) Console.MarkupLine(markup);
    }

    /// <summary>Runs work with a live progress bar (loss, accuracy, samples/s, ETA) unless output is redirected or JSON.</summary>
    public T WithProgress<T>(string title, Func<IProgress<TrainingProgress>?, T> work)
    {
        if (Json || System.Console.IsErrorRedirected && System.Console.IsOutputRedirected)
            return work(new LineProgress(Json ? null : Console));
        T result = default!;
        Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                result = work(new BarProgress(task, title));
                task.Value = task.MaxValue;
            });
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
            if (console is null || p.Phase != "eval") return;
            console.WriteLine($"epoch {p.Epoch + 1}/{p.Epochs}: train loss {p.Loss:F4}, train acc {p.Accuracy:P2}, {p.Elapsed.TotalSeconds:F1}s");
        }
    }
}
