using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>
/// An n×n matrix (e.g. group similarity) as coloured cells, rows and columns in the given order, with lines at
/// cluster boundaries. Up to <see cref="MaxVectorCells"/> rows each cell is a &lt;rect&gt; (with a tooltip); larger
/// matrices are embedded as one PNG with a pixel per cell, which keeps a 500×500 matrix to a few hundred KB.
/// </summary>
public static class HeatMap
{
    public const int MaxVectorCells = 96;

    /// <param name="matrix">Row-major n×n values in display order.</param>
    /// <param name="clusterStarts">Display indices where a new cluster begins (0 may be omitted).</param>
    public static string Render(IReadOnlyList<double> matrix, int n, IReadOnlyList<int> clusterStarts, string title,
        double min = 0, double max = 1, string axisLabel = "groups (ordered by cluster)", double size = 460)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(clusterStarts);
        if (n < 0 || (long)n * n != matrix.Count) throw new ArgumentException($"A {n}×{n} heat map needs {(long)Math.Max(0, n) * Math.Max(0, n)} values, got {matrix.Count}.", nameof(matrix));
        double width = size + 130, height = size + 70;
        var svg = new SvgDocument("heatmap", width, height, title, new Dictionary<string, string>
        {
            ["rows"] = n.ToString(CultureInfo.InvariantCulture), ["cells"] = ((long)n * n).ToString(CultureInfo.InvariantCulture),
            ["boundaries"] = clusterStarts.Count(s => s > 0 && s < n).ToString(CultureInfo.InvariantCulture),
        });
        if (n == 0 || !matrix.Any(double.IsFinite)) return svg.NoData().Finish();
        if (!double.IsFinite(min)) min = 0;
        if (!(max > min) || !double.IsFinite(max)) max = min + 1;
        double left = 40, top = 36, cell = size / n;
        double T(double v) => (v - min) / (max - min);
        if (n <= MaxVectorCells)
        {
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                {
                    double v = matrix[r * n + c];
                    svg.Rect(left + c * cell, top + r * cell, cell + 0.05, cell + 0.05, Palette.Hex(Palette.Heat(T(v))), cls: "cell",
                        tooltip: string.Create(CultureInfo.InvariantCulture, $"({r}, {c}): {SvgText.Value(v)}"));
                }
        }
        else
        {
            var rgb = new byte[3 * n * n];
            for (int i = 0; i < n * n; i++)
            {
                var (cr, cg, cb) = Palette.Heat(T(matrix[i]));
                rgb[3 * i] = cr; rgb[3 * i + 1] = cg; rgb[3 * i + 2] = cb;
            }
            svg.Image(left, top, size, size, PngEncoder.DataUri(n, n, rgb), cls: "cells");
        }
        foreach (var s in clusterStarts)
        {
            if (s <= 0 || s >= n) continue;
            double p = s * cell;
            svg.Line(left + p, top, left + p, top + size, "#c62828", n > 200 ? 0.4 : 0.8, cls: "boundary");
            svg.Line(left, top + p, left + size, top + p, "#c62828", n > 200 ? 0.4 : 0.8, cls: "boundary");
        }
        svg.Rect(left, top, size, size, "none", stroke: "#444444");
        svg.Text(left + size / 2, top + size + 18, $"{axisLabel}: {n}", anchor: "middle", size: 12);
        svg.Text(left - 12, top + size / 2, axisLabel, anchor: "middle", size: 12, rotate: -90);
        // Colour bar.
        double bx = left + size + 24, bh = size * 0.6;
        for (int k = 0; k < 40; k++)
            svg.Rect(bx, top + bh * (1 - (k + 1) / 40.0), 14, bh / 40 + 0.3, Palette.Hex(Palette.Heat((k + 0.5) / 40)));
        svg.Rect(bx, top, 14, bh, "none", stroke: "#444444");
        var ticks = NiceScale.Linear(min, max, 4);
        foreach (var t in ticks.Ticks.Where(t => t >= min - 1e-12 && t <= max + 1e-12))
            svg.Text(bx + 18, top + bh * (1 - (t - min) / (max - min)) + 4, SvgText.Tick(t, ticks.Step), cls: "tick-y");
        return svg.Finish();
    }

    /// <summary>
    /// Display order for cluster labels (−1 = removed, left out): clusters largest first (ties by id), members in
    /// index order; the display index where each tied cluster (≥ 2 members) starts, plus where the block of
    /// untied groups (singletons, drawn without lines between them) starts.
    /// </summary>
    public static (int[] Order, int[] Starts) OrderByCluster(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var groups = Enumerable.Range(0, labels.Count).Where(i => labels[i] >= 0).GroupBy(i => labels[i])
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).ToList();
        var order = new List<int>();
        var starts = new List<int>();
        bool singletons = false;
        foreach (var g in groups)
        {
            if (g.Count() > 1 || !singletons) starts.Add(order.Count);
            singletons |= g.Count() == 1;
            order.AddRange(g.Order());
        }
        return (order.ToArray(), starts.ToArray());
    }
}
