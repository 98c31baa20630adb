namespace Knot.Cli;

/// <summary>Documented process exit codes (also listed in README and `knot --help`).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Invalid command line: unknown option, bad value, impossible combination.</summary>
    public const int Usage = 1;

    /// <summary>Bad input: missing, unreadable, corrupt or mismatched file or dataset.</summary>
    public const int InputError = 2;

    /// <summary>Training diverged (NaN/Inf loss or weights).</summary>
    public const int Diverged = 3;

    /// <summary>`knot sweep` ran but did not reach its target (size or accuracy); its files say how close it came.</summary>
    public const int TargetNotReached = 4;

    /// <summary>Interrupted (Ctrl+C); files already written are complete, nothing partial is left.</summary>
    public const int Cancelled = 130;

    /// <summary>A bug in Knot: please report it with the command line.</summary>
    public const int Internal = 70;
}
