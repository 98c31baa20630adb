using System.Globalization;
using System.Text.Json.Nodes;
using Knot.Reporting.Svg;

namespace Knot.Reporting;

/// <summary>One method's row of compare.json (written by `knot compare`).</summary>
public sealed record CompareRow(string Method, double? TestAccuracy, long FileBytes, double? Ratio, double? NonZeroFraction, long? DistinctValues,
    string? Epochs, string? Artifact, string? Command);

/// <summary>Report of a `knot compare` directory: the methods' table and the Pareto plot of test accuracy vs real bytes.</summary>
public static class CompareReport
{
    public static (string Model, string Dataset, long? DenseBytes, List<CompareRow> Rows) Read(string path)
    {
        var o = JsonFiles.ReadObject(path);
        try
        {
            if (o["rows"] is not JsonArray rows) throw new InvalidDataException($"{path}: 'rows' is missing or not an array.");
            var list = new List<CompareRow>();
            for (int i = 0; i < rows.Count; i++)
            {
                if (rows[i] is not JsonObject r) throw new InvalidDataException($"{path}: rows[{i}] is not an object.");
                string method = JsonFiles.Text(r, "method") ?? throw new InvalidDataException($"{path}: rows[{i}] has no 'method'.");
                double bytes = JsonFiles.Number(r, "file_bytes") ?? throw new InvalidDataException($"{path}: rows[{i}] ({method}) has no 'file_bytes'.");
                if (!(bytes >= 0)) throw new InvalidDataException($"{path}: rows[{i}] ({method}) has file_bytes {bytes}, expected >= 0.");
                double? distinct = JsonFiles.Number(r, "distinct_values");
                list.Add(new CompareRow(method, JsonFiles.Number(r, "test_accuracy"), (long)bytes, JsonFiles.Number(r, "ratio"), JsonFiles.Number(r, "nonzero_fraction"),
                    distinct is double d ? (long)d : null, JsonFiles.Text(r, "epochs"), JsonFiles.Text(r, "artifact"), JsonFiles.Text(r, "command")));
            }
            double? dense = JsonFiles.Number(o, "dense_bytes");
            return (JsonFiles.Text(o, "model") ?? "model", JsonFiles.Text(o, "dataset") ?? "dataset", dense is double db ? (long)db : null, list);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static HtmlReport Build(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, RunDetector.CompareFile);
        var (model, dataset, dense, rows) = Read(path);
        var report = new HtmlReport($"Knot comparison: {model} on {dataset}", $"{path}: {rows.Count} methods" + (dense is long d ? $", dense float32 {RunFigures.Bytes(d)}" : ""));
        var points = rows.Select(r => new ScatterPoint(r.Method, r.FileBytes, 100 * (r.TestAccuracy ?? double.NaN))).ToList();
        var frontier = ScatterChart.ParetoFrontier(points.Where(p => p.X > 0).ToList()).Select(p => p.Label).ToHashSet(StringComparer.Ordinal);
        report.Section("Pareto plot").Figure(ScatterChart.Render(points, $"{model}: test accuracy vs file size", "file bytes", "test accuracy (%)", logX: true, drawParetoFrontier: true),
            "Each method's real .knot (or checkpoint) bytes against its test accuracy; the dashed line joins the methods no other method beats on both.");
        report.Section("Methods").Table(["method", "test accuracy", "file bytes", "ratio", "non-zero", "distinct values", "epochs", "Pareto", "command"],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r.Method, RunFigures.Percent(r.TestAccuracy), r.FileBytes.ToString("N0", CultureInfo.InvariantCulture), RunFigures.Ratio(r.Ratio ?? double.NaN),
                RunFigures.Percent(r.NonZeroFraction), r.DistinctValues?.ToString("N0", CultureInfo.InvariantCulture) ?? "–", r.Epochs ?? "–",
                frontier.Contains(r.Method) ? "yes" : "", r.Command ?? "–",
            ]));
        return report;
    }
}
