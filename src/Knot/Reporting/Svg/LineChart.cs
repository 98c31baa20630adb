namespace Knot.Reporting.Svg;

/// <summary>One line: a y value per shared x (NaN leaves a gap); optionally on the right-hand axis, or dashed.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> Y, bool RightAxis = false, bool Dashed = false);

/// <summary>Several series over a shared x (epochs), with an optional second y axis on the right.</summary>
public static class LineChart
{
    public static string Render(string title, IReadOnlyList<double> x, IReadOnlyList<LineSeries> series, string xLabel, string yLabel,
        string? rightLabel = null, double width = 600, double height = 300)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(series);
        var svg = new SvgDocument("line", width, height, title, new Dictionary<string, string> { ["series"] = series.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var left = series.Where(s => !s.RightAxis).ToList();
        var right = series.Where(s => s.RightAxis).ToList();
        var (xMin, xMax) = Bounds(x);
        var (lMin, lMax) = Bounds(left.SelectMany(s => Finite(x, s.Y).Select(p => p.Y)));
        var (rMin, rMax) = Bounds(right.SelectMany(s => Finite(x, s.Y).Select(p => p.Y)));
        if (double.IsNaN(xMin) || (double.IsNaN(lMin) && double.IsNaN(rMin))) return svg.NoData().Finish();

        bool hasRight = right.Count > 0 && !double.IsNaN(rMin);
        // Legend entries flow left to right and wrap; the plot starts below the last legend row.
        var legend = new List<(double X, double Y, string Name)>();
        double lx = 66, ly = 34;
        foreach (var s in series)
        {
            string name = s.RightAxis && hasRight ? s.Name + " (right)" : s.Name;
            double w = 30 + 6.2 * name.Length;
            if (lx > 66 && lx + w > width - 10) { lx = 66; ly += 15; }
            legend.Add((lx, ly, name));
            lx += w;
        }
        bool wholeX = x.Where(double.IsFinite).All(v => v == Math.Floor(v));
        var xs = NiceScale.Linear(xMin, xMax, 8, wholeX ? 1 : 0);
        var ys = double.IsNaN(lMin) ? NiceScale.Linear(rMin, rMax) : NiceScale.Linear(lMin, lMax);
        var rs = hasRight ? NiceScale.Linear(rMin, rMax) : ys;
        double top = ly + 14;
        var area = new PlotArea(66, top, width - 66 - (hasRight ? 66 : 22), height - top - 46, xs, ys);
        area.DrawAxes(svg, xLabel, yLabel);
        if (hasRight) area.DrawRightAxis(svg, rs, rightLabel ?? "");

        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            string colour = Palette.Series(i);
            var scale = s.RightAxis && hasRight ? rs : ys;
            var points = new List<(double, double)>();
            for (int k = 0; k < Math.Min(x.Count, s.Y.Count); k++)
                points.Add(double.IsFinite(x[k]) && double.IsFinite(s.Y[k]) ? (area.X(x[k]), area.YOn(scale, s.Y[k])) : (double.NaN, double.NaN));
            svg.Polyline(points, colour, dash: s.Dashed ? "5 3" : null, cls: "series");
            // Markers only when few points, so single epochs stay visible and long runs stay clean.
            if (points.Count <= 40)
                foreach (var (px, py) in points)
                    if (double.IsFinite(px)) svg.Circle(px, py, 2.2, colour);
            var (gx, gy, name) = legend[i];
            svg.Line(gx, gy, gx + 16, gy, colour, 2.5, s.Dashed ? "5 3" : null);
            svg.Text(gx + 20, gy + 4, name, cls: "legend");
        }
        return svg.Finish();
    }

    private static IEnumerable<(double X, double Y)> Finite(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i])) yield return (x[i], y[i]);
    }

    /// <summary>Finite min and max, or NaN when there is no finite value.</summary>
    public static (double Min, double Max) Bounds(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        return double.IsFinite(min) ? (min, max) : (double.NaN, double.NaN);
    }
}
