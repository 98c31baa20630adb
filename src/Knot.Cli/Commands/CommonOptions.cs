using System.CommandLine;
using Knot.Data;

namespace Knot.Cli.Commands;

/// <summary>Options shared by several verbs, with the same names and defaults everywhere.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one machine-readable JSON object on stdout (progress and messages go to stderr)." };

    public static Option<string> Data(bool required = true) => new("--data")
    {
        Description = $"Dataset: {string.Join(", ", DataSpec.KnownForms)} (bare names live in $KNOT_DATA, default ~/.knot/data).",
        Required = required,
    };

    public static Option<ulong> Seed() => new("--seed") { Description = "Random seed: the same seed and thread count give bit-identical results.", DefaultValueFactory = _ => 1UL };

    public static Option<int> Threads() => new("--threads") { Description = "Threads for the kernels (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };

    public static Option<int> BiasBits() => new("--bias-bits")
    {
        Description = "Bits of the stored layer biases: 32, or 16 (rounded to float16 before the final evaluation, so the reported accuracy is the file's).",
        DefaultValueFactory = _ => 32,
    };

    /// <summary>The --bias-bits value, checked (16 or 32).</summary>
    public static int ParseBiasBits(ParseResult p, Option<int> option)
    {
        int bits = p.GetValue(option);
        try { Knot.Storage.Models.BiasPrecision.Validate(bits); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return bits;
    }

    public static Option<int> Shift(string when, string name = "--shift") => new(name)
    {
        Description = $"Shift the training images randomly by up to this many pixels (0–{Knot.Data.CropFlipAugmentation.MaxShift}) {when} (0: as they are, the paper). Data augmentation the paper did not use.",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>The --shift value, or a usage error naming the option.</summary>
    public static int ParseShift(int pixels, string name = "--shift")
    {
        try { Knot.Data.CropFlipAugmentation.ValidateShift(pixels); }
        catch (ArgumentException e) { throw new UsageException(name + ": " + e.Message); }
        return pixels;
    }

    public static Option<int> BatchSize(int fallback = 128) => new("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => fallback };

    public static void ApplyThreads(int threads)
    {
        if (threads < 1) throw new UsageException($"--threads must be >= 1, got {threads}.");
        Knot.Kernels.Parallelism.ThreadCount = threads;
    }

    public static DataSpec ParseData(string? text)
    {
        if (text is null) throw new UsageException("--data is required.");
        try { return DataSpec.Parse(text); }
        catch (ArgumentException e) { throw new UsageException($"--data: {e.Message}"); }
    }

    public static void RequirePositive(int value, string option)
    {
        if (value < 1) throw new UsageException($"{option} must be >= 1, got {value}.");
    }

    public static void RequireNonNegative(int value, string option)
    {
        if (value < 0) throw new UsageException($"{option} must be >= 0, got {value}.");
    }

    /// <summary>Runs a verb body, mapping any exception to one clear line and a documented exit code.</summary>
    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) { return ErrorReporter.Report(e); }
    }
}

/// <summary>--teacher, --distill-weight, --distill-temperature: knowledge distillation while (re)training.</summary>
public sealed class DistillationOptions(string when)
{
    public Option<string?> Teacher { get; } = new("--teacher") { Description = $"A Knot checkpoint to distil from {when} (e.g. the uncompressed network): the loss mixes the labels with its softened outputs." };
    public Option<float> Weight { get; } = new("--distill-weight") { Description = "Share of the teacher's term in the loss, in [0, 1] (with --teacher).", DefaultValueFactory = _ => 0.5f };
    public Option<float> Temperature { get; } = new("--distill-temperature") { Description = "Softmax temperature of the distillation term (with --teacher).", DefaultValueFactory = _ => 4f };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Teacher, Weight, Temperature }) command.Options.Add(o);
    }

    /// <summary>Null without --teacher; a usage error for bad settings; an input error (exit 2) for an unreadable or mismatched teacher.</summary>
    public Knot.Training.Distillation? Parse(ParseResult p, Knot.Models.ModelSpec student)
    {
        string? path = p.GetValue(Teacher);
        float weight = p.GetValue(Weight), temperature = p.GetValue(Temperature);
        try { Knot.Training.Distillation.CheckSettings(weight, temperature); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (path is null) return null;
        if (!File.Exists(path)) throw new FileNotFoundException($"--teacher: checkpoint '{path}' does not exist.", path);
        return Knot.Training.Distillation.FromCheckpoint(path, student, weight, temperature);
    }
}
