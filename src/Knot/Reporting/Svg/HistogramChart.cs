using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>One Gaussian of a mixture drawn over a histogram: mean, standard deviation, mixing proportion.</summary>
public sealed record MixtureCurve(double Mean, double Sigma, double Pi);

/// <summary>
/// A histogram of values with Gaussian-mixture components overlaid as expected counts per bin
/// (total · bin width · π · N(x | μ, σ²)), each component and their sum; optionally a log-scale y axis so the
/// huge spike at zero and the small side clusters show together.
/// </summary>
public static class HistogramChart
{
    public static string Render(IReadOnlyList<double> values, int bins, IReadOnlyList<MixtureCurve> components, string title,
        string xLabel = "weight", bool logY = false, double width = 600, double height = 300)
    {
        ArgumentNullException.ThrowIfNull(values);
        var floats = values.Where(double.IsFinite).Select(v => (float)v).ToArray();
        var (lo, hi) = WeightHistogram.Range([floats]);
        if (double.IsNaN(lo)) return Render(new WeightHistogram(0, 1, new long[Math.Max(1, bins)]), components, title, xLabel, logY, width, height);
        return Render(WeightHistogram.Compute([floats], lo, hi, bins), components, title, xLabel, logY, width, height);
    }

    public static string Render(WeightHistogram histogram, IReadOnlyList<MixtureCurve> components, string title,
        string xLabel = "weight", bool logY = false, double width = 600, double height = 300)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        ArgumentNullException.ThrowIfNull(components);
        long total = histogram.Total;
        var svg = new SvgDocument("histogram", width, height, title, new Dictionary<string, string>
        {
            ["bins"] = histogram.Bins.ToString(CultureInfo.InvariantCulture), ["count"] = total.ToString(CultureInfo.InvariantCulture),
            ["components"] = components.Count.ToString(CultureInfo.InvariantCulture), ["log-y"] = logY ? "true" : "false",
        });
        if (total == 0 || !(histogram.High > histogram.Low)) return svg.NoData().Finish();
        long maxCount = histogram.Counts.Max();
        var xs = NiceScale.Linear(histogram.Low, histogram.High, 8);
        NiceScale ys;
        if (logY)
        {
            var decades = NiceScale.Log10(1, Math.Max(10, maxCount));
            ys = new NiceScale(Math.Log10(decades.Min), Math.Log10(decades.Max), 1, decades.Ticks.Select(Math.Log10).ToList());
        }
        else ys = NiceScale.Linear(0, maxCount);
        var area = new PlotArea(66, 48, width - 66 - 22, height - 48 - 46, xs, ys);
        area.DrawAxes(svg, xLabel, logY ? "count (log scale)" : "count", logY);
        double Y(double count) => logY ? area.Y(Math.Clamp(Math.Log10(Math.Max(count, 1e-300)), ys.Min, ys.Max)) : area.Y(Math.Min(count, ys.Max));

        double bw = histogram.BinWidth;
        for (int b = 0; b < histogram.Bins; b++)
        {
            long c = histogram.Counts[b];
            double x0 = histogram.Low + b * bw;
            double px = area.X(x0), pw = area.X(x0 + bw) - px;
            string tip = string.Create(CultureInfo.InvariantCulture, $"[{SvgText.Value(x0)}, {SvgText.Value(x0 + bw)}): {c}");
            // Zero-count bins are still emitted (height 0) so that the bins in the SVG always sum to the count.
            double top = c == 0 || (logY && c < 1) ? area.Bottom : Y(c);
            svg.Rect(px, top, Math.Max(0.5, pw - (pw > 3 ? 0.5 : 0)), area.Bottom - top, "#9bb7d4", cls: "bin", tooltip: tip,
                data: ("count", c.ToString(CultureInfo.InvariantCulture)));
        }

        var valid = components.Where(c => double.IsFinite(c.Mean) && c.Sigma > 0 && double.IsFinite(c.Sigma) && c.Pi >= 0).ToList();
        if (valid.Count > 0)
        {
            // Dense uniform samples plus extra ones around each mean, so narrow components keep their peak.
            var samples = Enumerable.Range(0, 601).Select(i => xs.Min + (xs.Max - xs.Min) * i / 600.0).ToList();
            foreach (var c in valid)
                for (double k = -4; k <= 4; k += 0.25) samples.Add(c.Mean + k * c.Sigma);
            samples = samples.Where(v => v >= xs.Min && v <= xs.Max).Distinct().Order().ToList();
            double Density(MixtureCurve c, double x) => c.Pi * Math.Exp(-0.5 * Math.Pow((x - c.Mean) / c.Sigma, 2)) / (c.Sigma * Math.Sqrt(2 * Math.PI));
            double floor = logY ? Math.Pow(10, ys.Min) : 0;
            for (int j = 0; j < valid.Count; j++)
            {
                var c = valid[j];
                var points = samples.Select(x => { double e = total * bw * Density(c, x); return (area.X(x), e < floor ? double.NaN : Y(e)); }).ToList();
                svg.Polyline(points, Math.Abs(c.Mean) < 1e-12 ? "#d32f2f" : Palette.Series(j + 2), 1.1, cls: "component");
            }
            var sum = samples.Select(x => { double e = total * bw * valid.Sum(c => Density(c, x)); return (area.X(x), e < floor ? double.NaN : Y(e)); }).ToList();
            svg.Polyline(sum, "#222222", 1.2, "4 3", cls: "mixture");
            svg.Line(area.Left, 34, area.Left + 16, 34, "#222222", 1.5, "4 3").Text(area.Left + 20, 38, $"mixture ({valid.Count} components)", cls: "legend");
            svg.Line(area.Left + 190, 34, area.Left + 206, 34, "#d32f2f", 1.5).Text(area.Left + 210, 38, "zero component", cls: "legend");
        }
        svg.Text(area.Right, 38, $"{total:N0} values", anchor: "end", cls: "legend");
        return svg.Finish();
    }
}
