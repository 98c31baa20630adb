using System.IO.Compression;
using Knot.Reporting;
using Knot.Reporting.Svg;

namespace Knot.Tests.Reporting;

public sealed class SvgChartTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(-3.7, 12.2)]
    [InlineData(0.9612, 0.9851)]
    [InlineData(1e-5, 3e-5)]
    [InlineData(-1000.0, -999.0)]
    [InlineData(5.0, 5.0)]
    public void NiceScaleContainsTheDataWithNiceSteps(double lo, double hi)
    {
        var s = NiceScale.Linear(lo, hi);
        Assert.True(s.Min <= lo && s.Max >= hi, $"[{s.Min}, {s.Max}] must contain [{lo}, {hi}]");
        Assert.True(s.Max > s.Min);
        double mantissa = s.Step / Math.Pow(10, Math.Floor(Math.Log10(s.Step)));
        Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 2.5, 5.0 });
        Assert.InRange(s.Ticks.Count, 2, 13);
        Assert.Equal(s.Min, s.Ticks[0], 9);
        Assert.Equal(s.Max, s.Ticks[^1], 9);
    }

    [Fact]
    public void NiceScaleSurvivesNonFiniteBounds()
    {
        var s = NiceScale.Linear(double.NaN, double.PositiveInfinity);
        Assert.True(s.Max > s.Min);
        var l = NiceScale.Log10(-1, 0);
        Assert.True(l.Max > l.Min && l.Min > 0);
    }

    [Fact]
    public void LineChartAxesContainTheData()
    {
        double[] x = [1, 2, 3, 4, 5];
        double[] loss = [2.31, 0.9, 0.45, 0.31, 0.27];
        double[] acc = [40, 81, 90.5, 93, 94.2];
        var svg = LineChart.Render("Loss & accuracy <per epoch>", x, [new LineSeries("loss", loss), new LineSeries("accuracy", acc, RightAxis: true)], "epoch", "loss", "accuracy (%)");
        var root = SvgAssert.Parse(svg, "line");
        Assert.Equal("Loss & accuracy <per epoch>", root.Element(SvgAssert.Ns + "title")!.Value);
        var xt = SvgAssert.Ticks(root, "tick-x");
        var yt = SvgAssert.Ticks(root, "tick-y");
        var rt = SvgAssert.Ticks(root, "tick-y2");
        Assert.True(xt.Min() <= 1 && xt.Max() >= 5);
        Assert.True(yt.Min() <= loss.Min() && yt.Max() >= loss.Max(), $"left ticks {string.Join(",", yt)}");
        Assert.True(rt.Min() <= acc.Min() && rt.Max() >= acc.Max(), $"right ticks {string.Join(",", rt)}");
        Assert.Equal(2, SvgAssert.WithClass(root, "series").Count);
        Assert.False(SvgAssert.HasNoDataNote(root));
    }

    [Fact]
    public void EpochAxisTicksAreWholeNumbers()
    {
        var root = SvgAssert.Parse(LineChart.Render("three epochs", [1, 2, 3], [new LineSeries("loss", [0.06, 0.04, 0.03])], "epoch", "loss"), "line");
        var xt = SvgAssert.Ticks(root, "tick-x");
        Assert.All(xt, t => Assert.Equal(Math.Floor(t), t));
        Assert.True(xt.Min() <= 1 && xt.Max() >= 3);
    }

    [Fact]
    public void LineChartBreaksAtNaNAndShowsNoDataWhenNothingIsFinite()
    {
        var gap = SvgAssert.Parse(LineChart.Render("gap", [1, 2, 3, 4, 5], [new LineSeries("a", [1, 2, double.NaN, 4, 5])], "x", "y"), "line");
        Assert.Equal(2, SvgAssert.WithClass(gap, "series").Count); // two polyline segments around the NaN
        var empty = SvgAssert.Parse(LineChart.Render("empty", [], [], "x", "y"), "line");
        Assert.True(SvgAssert.HasNoDataNote(empty));
        var nan = SvgAssert.Parse(LineChart.Render("nan", [1, 2], [new LineSeries("a", [double.NaN, double.PositiveInfinity])], "x", "y"), "line");
        Assert.True(SvgAssert.HasNoDataNote(nan));
        var constant = SvgAssert.Parse(LineChart.Render("constant", [1, 2, 3], [new LineSeries("a", [7, 7, 7])], "x", "y"), "line");
        Assert.False(SvgAssert.HasNoDataNote(constant));
        var ticks = SvgAssert.Ticks(constant, "tick-y");
        Assert.True(ticks.Min() < 7 && ticks.Max() > 7);
    }

    [Fact]
    public void BarChartHasOneBarPerGroupAndMarksZeros()
    {
        double[] norms = [0.5, 0, 1.25, 0.75, 0, 0, 2.0];
        var root = SvgAssert.Parse(BarChart.Render(norms, "norms", "group", "norm", colourIds: [0, -1, 1, 0, -1, -1, 2]), "bars");
        var bars = SvgAssert.WithClass(root, "bar");
        Assert.Equal(norms.Length, bars.Count);
        Assert.Equal(3, SvgAssert.WithClass(root, "zero").Count);
        Assert.Equal("3", (string?)root.Attribute("data-zero-bars"));
        // Sorted largest first: the first bar's tooltip names group 6 (value 2).
        Assert.StartsWith("#6:", bars[0].Value);
        var yt = SvgAssert.Ticks(root, "tick-y");
        Assert.True(yt.Min() <= 0 && yt.Max() >= 2);
        // Taller bar for a larger value.
        double H(int k) => double.Parse((string)bars[k].Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(H(0) > H(1) && H(1) > H(2) && H(2) > H(3));
    }

    [Fact]
    public void BarChartWithoutDataSaysSo()
    {
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(BarChart.Render([], "none", "g", "n"), "bars")));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(BarChart.Render([double.NaN], "nan", "g", "n"), "bars")));
        var zeros = SvgAssert.Parse(BarChart.Render([0, 0, 0], "all zero", "g", "n"), "bars");
        Assert.Equal(3, SvgAssert.WithClass(zeros, "zero").Count);
    }

    [Fact]
    public void HeatMapHasKeptGroupsSquaredCells()
    {
        const int n = 5;
        var m = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i * n + j] = i == j ? 1 : 0.1 * (i + j);
        var root = SvgAssert.Parse(HeatMap.Render(m, n, [0, 2], "similarity"), "heatmap");
        Assert.Equal(n * n, SvgAssert.WithClass(root, "cell").Count);
        Assert.Equal("25", (string?)root.Attribute("data-cells"));
        Assert.Equal(2, SvgAssert.WithClass(root, "boundary").Count); // one vertical + one horizontal line at index 2
    }

    [Fact]
    public void LargeHeatMapEmbedsOnePixelPerCell()
    {
        const int n = 150;
        var m = Enumerable.Range(0, n * n).Select(i => (double)(i % n) / n).ToArray();
        var root = SvgAssert.Parse(HeatMap.Render(m, n, [], "big"), "heatmap");
        Assert.Equal((n * n).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)root.Attribute("data-cells"));
        var image = SvgAssert.WithClass(root, "cells").Single();
        string href = (string)image.Attribute("href")!;
        Assert.StartsWith("data:image/png;base64,", href);
        var (w, h, pixels) = DecodePng(Convert.FromBase64String(href["data:image/png;base64,".Length..]));
        Assert.Equal((n, n), (w, h));
        Assert.Equal(3 * n * n, pixels.Length);
    }

    [Fact]
    public void HeatMapRejectsAWrongSizeAndShowsNoDataForNone()
    {
        Assert.Throws<ArgumentException>(() => HeatMap.Render(new double[5], 2, [], "bad"));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(HeatMap.Render([], 0, [], "none"), "heatmap")));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(HeatMap.Render([double.NaN], 1, [], "nan"), "heatmap")));
    }

    [Fact]
    public void OrderByClusterPutsLargestClustersFirstAndSingletonsTogether()
    {
        int[] labels = [-1, 0, 1, 0, 2, 2, 2, 3];
        var (order, starts) = HeatMap.OrderByCluster(labels);
        Assert.Equal([4, 5, 6, 1, 3, 2, 7], order);
        Assert.Equal([0, 3, 5], starts); // cluster 2, cluster 0, then the untied block {2, 7}
    }

    [Fact]
    public void PngEncoderRoundTrips()
    {
        var rgb = new byte[3 * 4 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7);
        var (w, h, pixels) = DecodePng(PngEncoder.Encode(4, 3, rgb));
        Assert.Equal((4, 3), (w, h));
        Assert.Equal(rgb, pixels);
    }

    [Fact]
    public void HistogramBinsSumToTheCount()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 2 - 1).Append(double.NaN).Append(0.25).ToArray();
        var root = SvgAssert.Parse(HistogramChart.Render(values, 30, [new MixtureCurve(0, 0.1, 0.7), new MixtureCurve(0.5, 0.2, 0.3)], "weights"), "histogram");
        var bins = SvgAssert.WithClass(root, "bin");
        Assert.Equal(30, bins.Count);
        Assert.Equal(1001, bins.Sum(b => long.Parse((string)b.Attribute("data-count")!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("1001", (string?)root.Attribute("data-count"));
        Assert.Equal(2, SvgAssert.WithClass(root, "component").Count);
        Assert.Single(SvgAssert.WithClass(root, "mixture"));
        var xt = SvgAssert.Ticks(root, "tick-x");
        Assert.True(xt.Min() <= values.Where(double.IsFinite).Min() && xt.Max() >= values.Where(double.IsFinite).Max());
    }

    [Fact]
    public void WeightHistogramCountsEveryFiniteValueOnce()
    {
        float[][] tensors = [[-1, -0.5f, 0, 0, 0.5f, 1], [float.NaN, 2, 0.999f]];
        var h = WeightHistogram.Compute(tensors, -1, 1, 4);
        Assert.Equal(8, h.Total); // 2 is clamped into the last bin, NaN skipped
        Assert.Equal([1L, 1, 2, 4], h.Counts);
        var back = WeightHistogram.FromJson(h.ToJson(), "test");
        Assert.Equal(h.Counts, back.Counts);
    }

    [Fact]
    public void HistogramLogScaleAndEmptyData()
    {
        var h = new WeightHistogram(-1, 1, [1, 0, 50000, 3]);
        var root = SvgAssert.Parse(HistogramChart.Render(h, [new MixtureCurve(0, 0.01, 0.99)], "log", logY: true), "histogram");
        Assert.Equal("true", (string?)root.Attribute("data-log-y"));
        var yt = SvgAssert.Ticks(root, "tick-y");
        Assert.True(yt.Max() >= 50000 && yt.Min() <= 1);
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(HistogramChart.Render(new WeightHistogram(0, 1, [0, 0]), [], "none"), "histogram")));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(HistogramChart.Render([double.NaN], 10, [], "nan"), "histogram")));
        // Constant values: one bin holds them all.
        var constant = SvgAssert.Parse(HistogramChart.Render([3, 3, 3], 5, [], "constant"), "histogram");
        Assert.Equal("3", (string?)constant.Attribute("data-count"));
    }

    [Fact]
    public void PixelImageHasOnePixelPerInputAndCountsKeptTiedRemoved()
    {
        var labels = new int[28 * 28];
        for (int i = 0; i < labels.Length; i++) labels[i] = i < 300 ? -1 : i < 310 ? 0 : i; // 300 removed, 10 tied in cluster 0
        var root = SvgAssert.Parse(PixelImage.Render(labels, 28, 28, "pixels"), "pixels");
        Assert.Equal(784, SvgAssert.WithClass(root, "pixel").Count);
        Assert.Equal("484", (string?)root.Attribute("data-kept"));
        Assert.Equal("10", (string?)root.Attribute("data-tied"));
        Assert.Equal("300", (string?)root.Attribute("data-removed"));
        Assert.Equal("1", (string?)root.Attribute("data-tied-clusters"));
        Assert.Throws<ArgumentException>(() => PixelImage.Render(new int[10], 28, 28, "wrong"));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(PixelImage.Render([], 0, 0, "none"), "pixels")));
    }

    [Fact]
    public void ParetoFrontierKeepsOnlyUndominatedPoints()
    {
        ScatterPoint a = new("a", 10, 0.90), b = new("b", 20, 0.95), c = new("c", 15, 0.85), d = new("d", 30, 0.94), e = new("e", 5, 0.50),
            f = new("f", 20, 0.93), g = new("nan", double.NaN, 1);
        var frontier = ScatterChart.ParetoFrontier([a, b, c, d, e, f, g]);
        Assert.Equal(["e", "a", "b"], frontier.Select(p => p.Label));
        var root = SvgAssert.Parse(ScatterChart.Render([a, b, c, d, e, f, g], "pareto", "bytes", "accuracy", logX: false, drawParetoFrontier: true), "scatter");
        Assert.Equal(3, SvgAssert.WithClass(root, "frontier-point").Count);
        Assert.Equal(6, SvgAssert.WithClass(root, "point").Count);
        Assert.Single(SvgAssert.WithClass(root, "frontier"));
        var xt = SvgAssert.Ticks(root, "tick-x");
        var yt = SvgAssert.Ticks(root, "tick-y");
        Assert.True(xt.Min() <= 5 && xt.Max() >= 30 && yt.Min() <= 0.5 && yt.Max() >= 0.95);
    }

    [Fact]
    public void ScatterLogXSkipsNonPositiveAndEscapesLabels()
    {
        var root = SvgAssert.Parse(ScatterChart.Render([new("<b>\"sws\" & dc</b>", 5_000, 97.8), new("dense", 1_066_440, 98.5), new("zero", 0, 50)],
            "methods & sizes", "bytes", "accuracy", logX: true, drawParetoFrontier: false), "scatter");
        Assert.Equal(2, SvgAssert.WithClass(root, "point").Count);
        Assert.Contains(SvgAssert.WithClass(root, "point-label"), t => t.Value == "<b>\"sws\" & dc</b>");
        var xt = SvgAssert.Ticks(root, "tick-x");
        Assert.True(xt.Min() <= 5_000 && xt.Max() >= 1_066_440);
        Assert.Empty(SvgAssert.WithClass(root, "frontier"));
        Assert.True(SvgAssert.HasNoDataNote(SvgAssert.Parse(ScatterChart.Render([], "none", "x", "y", true, true), "scatter")));
    }

    [Fact]
    public void EscapeDropsControlCharactersAndQuotes()
    {
        Assert.Equal("a&lt;b&gt;&amp;&quot;&#39;c", SvgText.Escape("a<b>&\"'\u0001c"));
        var root = SvgAssert.Parse(LineChart.Render("t\u0002", [1], [new LineSeries("s\u0007<x>", [1])], "x&y", "y"), "line");
        Assert.Contains(SvgAssert.WithClass(root, "legend"), t => t.Value == "s<x>");
    }

    private static (int Width, int Height, byte[] Rgb) DecodePng(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0;
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var body = png.AsSpan(pos + 8, length);
            uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(Knot.Storage.Common.Crc32.Compute(png.AsSpan(pos + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body);
                height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                Assert.Equal(8, body[8]);
                Assert.Equal(2, body[9]);
            }
            if (type == "IDAT") idat.Write(body);
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var bytes = raw.ToArray();
        Assert.Equal(height * (1 + 3 * width), bytes.Length);
        var rgb = new byte[3 * width * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * (1 + 3 * width)]); // filter "none"
            Array.Copy(bytes, y * (1 + 3 * width) + 1, rgb, y * 3 * width, 3 * width);
        }
        return (width, height, rgb);
    }
}
