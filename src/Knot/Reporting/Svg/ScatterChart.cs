using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>A labelled point of a scatter chart.</summary>
public sealed record ScatterPoint(string Label, double X, double Y);

/// <summary>
/// Labelled points (e.g. methods: file bytes vs test accuracy), optional log-scale x and an optional Pareto
/// frontier line through the points no other point beats (smaller X and larger Y are better).
/// </summary>
public static class ScatterChart
{
    public static string Render(IReadOnlyList<ScatterPoint> points, string title, string xLabel, string yLabel, bool logX, bool drawParetoFrontier)
    {
        ArgumentNullException.ThrowIfNull(points);
        const double width = 600, height = 360;
        var usable = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0)).ToList();
        var frontier = drawParetoFrontier ? ParetoFrontier(usable) : [];
        var svg = new SvgDocument("scatter", width, height, title, new Dictionary<string, string>
        {
            ["points"] = usable.Count.ToString(CultureInfo.InvariantCulture), ["frontier"] = frontier.Count.ToString(CultureInfo.InvariantCulture),
            ["log-x"] = logX ? "true" : "false",
        });
        if (usable.Count == 0) return svg.NoData().Finish();
        var (xMin, xMax) = LineChart.Bounds(usable.Select(p => p.X));
        var (yMin, yMax) = LineChart.Bounds(usable.Select(p => p.Y));
        var xs = logX ? NiceScale.Log10(xMin, xMax) : NiceScale.Linear(xMin, xMax, 6);
        var ys = NiceScale.Linear(yMin, yMax, 5);
        var area = new PlotArea(70, 40, width - 70 - 30, height - 40 - (drawParetoFrontier ? 62 : 50), xs, ys, logX);
        area.DrawAxes(svg, xLabel + (logX ? " (log scale)" : ""), yLabel);
        if (frontier.Count > 1)
            svg.Polyline(frontier.Select(p => (area.X(p.X), area.Y(p.Y))).ToList(), "#2e7d32", 1.8, "6 3", cls: "frontier");
        var onFrontier = new HashSet<ScatterPoint>(frontier, ReferenceEqualityComparer.Instance);
        var placed = new List<(double X, double Y)>();
        for (int i = 0; i < usable.Count; i++)
        {
            var p = usable[i];
            bool best = onFrontier.Contains(p);
            double px = area.X(p.X), py = area.Y(p.Y);
            svg.Circle(px, py, best ? 5.5 : 4.5, best ? "#2e7d32" : "#1f77b4", cls: best ? "point frontier-point" : "point",
                tooltip: $"{p.Label}: {SvgText.Value(p.X)}, {SvgText.Value(p.Y)}", stroke: "#ffffff");
            bool rightSide = px < area.Left + area.Width * 0.75;
            double ty = py - 7;
            // Nearby points would print their labels on top of each other: move each later one a line down.
            while (placed.Any(q => Math.Abs(q.X - px) < 90 && Math.Abs(q.Y - ty) < 12)) ty += 12;
            placed.Add((px, ty));
            svg.Text(rightSide ? px + 8 : px - 8, ty, p.Label, anchor: rightSide ? "start" : "end", size: 10.5, cls: "point-label");
        }
        if (drawParetoFrontier)
            svg.Line(area.Left, height - 12, area.Left + 16, height - 12, "#2e7d32", 1.8, "6 3").Text(area.Left + 20, height - 8, "Pareto frontier (smaller and more accurate is better)", cls: "legend");
        return svg.Finish();
    }

    /// <summary>
    /// The points no other point dominates (another with X ≤ and Y ≥, one of them strictly), ordered by X. Points
    /// with non-finite coordinates are ignored; exact duplicates of a frontier point appear once.
    /// </summary>
    public static IReadOnlyList<ScatterPoint> ParetoFrontier(IReadOnlyList<ScatterPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var frontier = new List<ScatterPoint>();
        double bestY = double.NegativeInfinity;
        foreach (var p in points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ThenByDescending(p => p.Y))
        {
            if (p.Y <= bestY) continue;
            frontier.Add(p);
            bestY = p.Y;
        }
        return frontier;
    }
}
