using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Knot.Storage.Common;

namespace Knot.Comparison;

/// <summary>How a comparison treats the artifacts already in its directory.</summary>
public enum ArtifactPolicy
{
    /// <summary>Run what is missing or stale (made by another command); reuse the rest (a long comparison resumes).</summary>
    Resume,

    /// <summary>Run every method again.</summary>
    Force,

    /// <summary>Run nothing: measure the artifacts that exist, leave out methods that have none.</summary>
    Collect,
}

/// <summary>
/// Runs (or collects) the methods of a comparison one after the other and measures each packed file. A method's
/// artifact is DIR/&lt;method&gt;/model.knot plus method.json, written last, so a method interrupted half-way has no
/// method.json and runs again. Methods that compress the pretrained network wait for it: without --from the
/// baseline runs first (even when it is not one of the rows), and a re-run baseline makes them stale.
/// </summary>
public static class ComparisonRunner
{
    public const string RecordName = "method.json";

    public static ComparisonTable Run(ComparisonContext context, IReadOnlyList<ComparisonMethod> methods, ArtifactPolicy policy,
        Action<string>? log = null, string? invocation = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Count == 0) throw new ArgumentException("--methods needs at least one method.");
        context.Settings.Validate();
        if (context.FromCheckpoint is { } from && !File.Exists(from)) throw new FileNotFoundException($"--from: checkpoint '{from}' does not exist.", from);
        Directory.CreateDirectory(context.OutDirectory);
        var rows = new List<ComparisonRow>();
        long dense = 0;
        bool baselineRan = false;

        if (policy != ArtifactPolicy.Collect && context.FromCheckpoint is null && methods.Any(m => m.UsesPretrained) && !methods.Any(m => m is BaselineMethod))
        {
            var baseline = ComparisonMethods.All.OfType<BaselineMethod>().Single();
            baselineRan = Ensure(context, baseline, policy, false, log);
        }

        foreach (var method in methods)
        {
            if (policy == ArtifactPolicy.Collect)
            {
                if (ReadRecord(context, method) is null) { log?.Invoke($"{method.Name}: no finished artifact in {context.MethodDirectory(method.Name)}, left out"); continue; }
            }
            else
            {
                bool ran = Ensure(context, method, policy, method.UsesPretrained && baselineRan, log);
                // With --from the baseline row only packs the user's checkpoint; what dc and sws start from did not change.
                if (method is BaselineMethod && ran && context.FromCheckpoint is null) baselineRan = true;
            }
            var (row, denseBytes) = Measure(context, method);
            rows.Add(row);
            dense = denseBytes;
        }
        if (rows.Count == 0)
            throw new FileNotFoundException($"--collect: none of the methods ({string.Join(", ", methods.Select(m => m.Name))}) has a finished artifact ({RecordName}) under {context.OutDirectory}.");
        var table = new ComparisonTable(context.Spec.Name, context.DataSpec, dense, rows, invocation);
        ComparisonWriter.Write(context.OutDirectory, table);
        return table;
    }

    /// <summary>Runs the method unless a finished artifact made by the same command is there. Returns whether it ran.</summary>
    private static bool Ensure(ComparisonContext c, ComparisonMethod method, ArtifactPolicy policy, bool dependencyRan, Action<string>? log)
    {
        string command = method.Command(c);
        var record = ReadRecord(c, method);
        if (policy == ArtifactPolicy.Resume && !dependencyRan && record is not null)
        {
            if (record.Value.Command == command) { log?.Invoke($"{method.Name}: reusing {method.KnotPath(c)}"); return false; }
            log?.Invoke($"{method.Name}: the artifact was made by another command, running again");
        }
        if (method.UsesPretrained && !File.Exists(c.PretrainedCheckpoint))
            throw new FileNotFoundException($"{method.Name} needs the pretrained checkpoint {c.PretrainedCheckpoint}, which does not exist.", c.PretrainedCheckpoint);
        string dir = c.MethodDirectory(method.Name);
        Directory.CreateDirectory(dir);
        string recordPath = Path.Combine(dir, RecordName);
        if (File.Exists(recordPath)) File.Delete(recordPath); // an interrupted re-run must not look finished
        log?.Invoke($"{method.Name}: running");
        var clock = Stopwatch.StartNew();
        string epochs = method.Run(c, method.KnotPath(c));
        var json = new JsonObject
        {
            ["method"] = method.Name, ["command"] = command, ["epochs"] = epochs, ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["finished_utc"] = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        AtomicFile.WriteAllBytes(recordPath, Encoding.UTF8.GetBytes(json.ToJsonString(ComparisonTable.Indented) + "\n"));
        return true;
    }

    private static (string Command, string Epochs, double? Seconds)? ReadRecord(ComparisonContext c, ComparisonMethod method)
    {
        string path = Path.Combine(c.MethodDirectory(method.Name), RecordName);
        if (!File.Exists(path) || !File.Exists(method.KnotPath(c))) return null;
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object.");
            return (o["command"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: 'command' is missing."),
                o["epochs"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: 'epochs' is missing."),
                o["seconds"]?.GetValue<double>());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a valid method record ({e.Message}).", e);
        }
    }

    private static (ComparisonRow Row, long DenseBytes) Measure(ComparisonContext c, ComparisonMethod method)
    {
        var record = ReadRecord(c, method) ?? throw new InvalidOperationException($"{method.Name}: no record after running.");
        string knot = method.KnotPath(c);
        var m = PackedModelMeasurement.Measure(knot, c.Test);
        return (new ComparisonRow(method.Name, m.TestAccuracy, m.FileBytes, m.Ratio, m.NonZeroFraction, m.DistinctValues, record.Epochs, knot, record.Command, record.Seconds),
            m.DenseBytes);
    }
}
