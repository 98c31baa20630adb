using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Knot.Storage.Common;

namespace Knot.Reporting;

/// <summary>
/// The "run record" sidecar a compression command writes next to its .knot output (<c>F.knot.run.json</c>): what
/// the file alone cannot tell a report (per-epoch metrics, the mixture before and after retraining, weight
/// histograms). Additive: the .knot file itself is unchanged.
/// </summary>
public static class RunRecordFile
{
    public const string Suffix = ".run.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string PathFor(string artifactPath) => artifactPath + Suffix;

    /// <summary>Writes atomically; non-finite numbers become null so any JSON parser reads the file.</summary>
    public static void Write(string path, JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var clean = JsonValues.ReplaceNonFinite(record.DeepClone());
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(clean!.ToJsonString(Indented))));
    }

    /// <summary>The record next to <paramref name="artifactPath"/>, or null when there is none; corrupt JSON is an InvalidDataException.</summary>
    public static JsonObject? TryRead(string artifactPath)
    {
        string path = PathFor(artifactPath);
        return File.Exists(path) ? JsonFiles.ReadObject(path) : null;
    }
}
