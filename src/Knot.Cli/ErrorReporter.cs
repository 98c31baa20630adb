using Knot.Training;
using Spectre.Console;

namespace Knot.Cli;

/// <summary>Turns exceptions into one clear line on stderr and a documented exit code — never a stack dump.</summary>
public static class ErrorReporter
{
    public static int Report(Exception e)
    {
        var (code, kind) = e switch
        {
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
            TrainingDivergedException => (ExitCodes.Diverged, "diverged"),
            UsageException => (ExitCodes.Usage, "invalid option"),
            ArgumentException => (ExitCodes.Usage, "invalid value"),
            FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException or EndOfStreamException
                => (ExitCodes.InputError, "input error"),
            _ => (ExitCodes.Internal, "internal error"),
        };
        string message = e.Message;
        if (code == ExitCodes.Internal) message = $"{e.GetType().Name}: {e.Message} (this is a bug in Knot; please report it with the command line)";
        if (Environment.GetEnvironmentVariable("KNOT_DEBUG") == "1") message += Environment.NewLine + e;
        var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        stderr.MarkupLine($"[red]knot: {kind}:[/] {Markup.Escape(message)}");
        return code;
    }
}

/// <summary>An invalid command-line value or combination, reported with exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
