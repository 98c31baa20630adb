using System.Globalization;
using System.Text;
using Knot.Storage.Common;

namespace Knot.Comparison;

/// <summary>Writes a comparison's files into its directory: compare.json (the contract), compare.md (for people), and the Pareto plot.</summary>
public static class ComparisonWriter
{
    public const string JsonName = "compare.json";
    public const string MarkdownName = "compare.md";

    public static void Write(string directory, ComparisonTable table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(table);
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(Path.Combine(directory, JsonName), Encoding.UTF8.GetBytes(table.ToJson().ToJsonString(ComparisonTable.Indented) + "\n"));
        AtomicFile.WriteAllBytes(Path.Combine(directory, MarkdownName), Encoding.UTF8.GetBytes(Markdown(table)));
        // The Pareto plot of test accuracy vs real file bytes, drawn by the shared SVG chart writer so every chart in Knot looks the same.
        var points = ParetoPoints(table).Select(p => new Reporting.Svg.ScatterPoint(p.Method, p.FileBytes, 100 * p.TestAccuracy)).ToList();
        string svg = Reporting.Svg.ScatterChart.Render(points, $"{table.Model} on {table.Dataset}: test accuracy vs real file size",
            "file bytes (log scale)", "test accuracy (%)", logX: true, drawParetoFrontier: true);
        AtomicFile.WriteAllBytes(Path.Combine(directory, SvgName), Encoding.UTF8.GetBytes(svg));
    }

    public const string SvgName = "compare.svg";

    /// <summary>The plot's points: x = real file bytes, y = test accuracy, label = method, and whether the point is on the frontier.</summary>
    public static IReadOnlyList<(double FileBytes, double TestAccuracy, string Method, bool OnFrontier)> ParetoPoints(ComparisonTable table)
    {
        var frontier = ParetoFrontier(table.Rows);
        return table.Rows.Select(r => ((double)r.FileBytes, r.TestAccuracy, r.Method, frontier.Contains(r))).ToList();
    }

    /// <summary>Rows no other row beats on both counts: none is at most as large with higher accuracy, or smaller with at least the accuracy.</summary>
    public static HashSet<ComparisonRow> ParetoFrontier(IReadOnlyList<ComparisonRow> rows) =>
        rows.Where(r => !rows.Any(o => !ReferenceEquals(o, r) &&
            ((o.FileBytes <= r.FileBytes && o.TestAccuracy > r.TestAccuracy) || (o.FileBytes < r.FileBytes && o.TestAccuracy >= r.TestAccuracy))))
            .ToHashSet();

    public static string Markdown(ComparisonTable table)
    {
        var c = CultureInfo.InvariantCulture;
        var frontier = ParetoFrontier(table.Rows);
        var md = new StringBuilder();
        md.Append(c, $"# Comparison: {table.Model} on {table.Dataset}\n\n");
        md.Append(c, $"Dense float32 model: {table.DenseBytes:N0} bytes. Every number below is measured on a real `.knot` file: its size on disk, and the test accuracy of inference from that file. Real ratio = dense bytes / file bytes. Pareto: no other row is both at least as small and at least as accurate (and better in one).\n\n");
        if (table.Invocation is not null) md.Append(c, $"Made with: `{table.Invocation}`\n\n");
        md.Append("| method | test accuracy | test error | file bytes | real ratio | non-zero share | distinct values | epochs | Pareto | command to reproduce |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---|:-:|---|\n");
        foreach (var r in table.Rows)
        {
            string distinct = r.DistinctValues is long d ? d.ToString("N0", c) : "–";
            md.Append(c, $"| {r.Method} | {r.TestAccuracy * 100:F2}% | {r.TestError * 100:F2}% | {r.FileBytes:N0} | {r.Ratio:F1}× | {r.NonZeroFraction * 100:F2}% | {distinct} | {r.Epochs} | {(frontier.Contains(r) ? "✓" : "")} | `{r.Command.Replace("|", "\\|", StringComparison.Ordinal)}` |\n");
        }
        return md.ToString();
    }
}
