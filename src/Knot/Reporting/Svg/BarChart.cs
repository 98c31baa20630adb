using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>
/// One bar per value (e.g. a layer's group norms, sorted largest first). Zero values get a red mark under the axis
/// and the run of zeros a shaded band, so removed groups stay visible next to the kept ones.
/// </summary>
public static class BarChart
{
    /// <param name="colourIds">Optional colour per value (same order as <paramref name="values"/>), e.g. its cluster id; -1 = default.</param>
    public static string Render(IReadOnlyList<double> values, string title, string xLabel, string yLabel, bool sortDescending = true,
        IReadOnlyList<int>? colourIds = null, double width = 600, double height = 300)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).ToArray();
        if (sortDescending)
            order = order.OrderByDescending(i => double.IsNaN(values[i]) ? double.NegativeInfinity : values[i]).ThenBy(i => i).ToArray();
        int zeros = values.Count(v => v == 0);
        var svg = new SvgDocument("bars", width, height, title, new Dictionary<string, string>
        {
            ["bars"] = values.Count.ToString(CultureInfo.InvariantCulture), ["zero-bars"] = zeros.ToString(CultureInfo.InvariantCulture),
        });
        var (min, max) = LineChart.Bounds(values);
        if (double.IsNaN(min)) return svg.NoData().Finish();
        var ys = NiceScale.Linear(Math.Min(0, min), Math.Max(0, max));
        var xs = NiceScale.Linear(0, values.Count, 8);
        var area = new PlotArea(66, 40, width - 66 - 22, height - 40 - 52, xs, ys);
        double slot = area.Width / (xs.Max - xs.Min);
        // Shade the zeros' run(s) first, so bars and marks draw over the band.
        for (int k = 0; k < order.Length;)
        {
            if (values[order[k]] != 0) { k++; continue; }
            int start = k;
            while (k < order.Length && values[order[k]] == 0) k++;
            svg.Rect(area.X(start), area.Top, (k - start) * slot, area.Height, "#fdecea", cls: "zero-band");
            if ((k - start) * slot > 60)
                svg.Text(area.X(start) + (k - start) * slot / 2, area.Top + 16, $"{k - start} zero", anchor: "middle", fill: "#c62828", cls: "zero-label");
        }
        area.DrawAxes(svg, xLabel, yLabel);
        double y0 = area.Y(0);
        for (int k = 0; k < order.Length; k++)
        {
            int i = order[k];
            double v = values[i];
            double x = area.X(k);
            double w = Math.Max(0.6, slot * (slot > 4 ? 0.8 : 1.0));
            string tip = string.Create(CultureInfo.InvariantCulture, $"#{i}: {SvgText.Value(v)}");
            if (v == 0 || double.IsNaN(v))
            {
                svg.Rect(x, area.Bottom + 1, w, 4, "#d32f2f", cls: "bar zero", tooltip: tip);
                continue;
            }
            string fill = colourIds is not null && i < colourIds.Count && colourIds[i] >= 0 ? Palette.Cluster(colourIds[i]) : "#4a7fb8";
            double top = area.Y(v);
            svg.Rect(x, Math.Min(top, y0), w, Math.Abs(y0 - top), fill, cls: "bar", tooltip: tip);
        }
        if (zeros > 0)
            svg.Text(area.Right, 32, $"{zeros} of {values.Count} zero (red marks)", anchor: "end", fill: "#c62828", cls: "legend");
        return svg.Finish();
    }
}
