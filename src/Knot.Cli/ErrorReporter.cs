using Knot.Training;

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
                or Knot.Compression.Growl.DeadLayerException
                => (ExitCodes.InputError, "input error"),
            _ => (ExitCodes.Internal, "internal error"),
        };
        string message = e.Message.ReplaceLineEndings(" ");
        if (code == ExitCodes.Internal) message = $"{e.GetType().Name}: {message} (this is a bug in Knot; please report it with the command line)";
        // Plain text, never wrapped: the line must stay greppable in logs. Colour only on a terminal.
        string prefix = Console.IsErrorRedirected ? $"knot: {kind}:" : $"\u001b[31mknot: {kind}:\u001b[0m";
        Console.Error.WriteLine($"{prefix} {message}");
        if (Environment.GetEnvironmentVariable("KNOT_DEBUG") == "1") Console.Error.WriteLine(e);
        return code;
    }
}

/// <summary>An invalid command-line value or combination, reported with exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
