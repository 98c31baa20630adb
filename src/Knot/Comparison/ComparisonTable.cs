using System.Text.Json;
using System.Text.Json.Nodes;

namespace Knot.Comparison;

/// <summary>One method's measured result (a row of compare.json / compare.md).</summary>
public sealed record ComparisonRow(string Method, double TestAccuracy, long FileBytes, double Ratio, double NonZeroFraction, long? DistinctValues,
    string Epochs, string Artifact, string Command, double? Seconds = null)
{
    public double TestError => 1 - TestAccuracy;
}

/// <summary>
/// compare.json: {"model", "dataset", "dense_bytes", "rows": [{"method", "test_accuracy", "file_bytes", "ratio",
/// "nonzero_fraction", "distinct_values" (number or null), "epochs", "artifact", "command", ...}]}. Other tools
/// (knot report) read it: the names above are a contract; extra fields (test_error, pareto, seconds, command of the
/// whole comparison) may be added, never renamed.
/// </summary>
public sealed record ComparisonTable(string Model, string Dataset, long DenseBytes, IReadOnlyList<ComparisonRow> Rows, string? Invocation = null)
{
    public JsonObject ToJson()
    {
        var frontier = ComparisonWriter.ParetoFrontier(Rows);
        var json = new JsonObject
        {
            ["model"] = Model, ["dataset"] = Dataset, ["dense_bytes"] = DenseBytes,
            ["rows"] = new JsonArray(Rows.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method, ["test_accuracy"] = r.TestAccuracy, ["test_error"] = r.TestError, ["file_bytes"] = r.FileBytes, ["ratio"] = r.Ratio,
                ["nonzero_fraction"] = r.NonZeroFraction, ["distinct_values"] = r.DistinctValues, ["epochs"] = r.Epochs, ["artifact"] = r.Artifact,
                ["command"] = r.Command, ["pareto"] = frontier.Contains(r), ["seconds"] = r.Seconds is double s ? Math.Round(s, 1) : null,
            }).ToArray()),
        };
        if (Invocation is not null) json["command"] = Invocation;
        return json;
    }

    public static ComparisonTable FromJson(string text, string source)
    {
        try
        {
            var o = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object.");
            var rows = (o["rows"] as JsonArray ?? throw new InvalidDataException($"{source}: 'rows' is missing or not an array."))
                .Select((n, i) => n is JsonObject r ? new ComparisonRow(
                    Text(r, "method", source), Number(r, "test_accuracy", source), (long)Number(r, "file_bytes", source), Number(r, "ratio", source),
                    Number(r, "nonzero_fraction", source), r["distinct_values"] is null ? null : (long)Number(r, "distinct_values", source),
                    Text(r, "epochs", source), Text(r, "artifact", source), Text(r, "command", source), r["seconds"]?.GetValue<double>())
                    : throw new InvalidDataException($"{source}: rows[{i}] is not an object.")).ToList();
            return new ComparisonTable(Text(o, "model", source), Text(o, "dataset", source), (long)Number(o, "dense_bytes", source), rows, o["command"]?.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: not a valid compare.json ({e.Message}).", e);
        }
    }

    private static string Text(JsonObject o, string key, string source) =>
        o[key]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: '{key}' is missing.");

    private static double Number(JsonObject o, string key, string source) =>
        o[key]?.GetValue<double>() ?? throw new InvalidDataException($"{source}: '{key}' is missing.");

    /// <summary>Indented, and commands stay readable ("&&", "+", quotes unescaped): these files are for people too, never embedded in HTML.</summary>
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
