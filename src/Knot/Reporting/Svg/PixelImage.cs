using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>
/// Input units as an image (e.g. the 28×28 pixels feeding an MNIST first layer): removed pixels light, kept
/// untied pixels dark grey, tied pixels coloured by their cluster (largest cluster first in the palette).
/// </summary>
public static class PixelImage
{
    /// <param name="labels">Per pixel, row-major: −1 removed, otherwise its cluster id.</param>
    public static string Render(IReadOnlyList<int> labels, int width, int height, string title, double cellSize = 10)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (width < 0 || height < 0 || (long)width * height != labels.Count)
            throw new ArgumentException($"A {width}×{height} image needs {(long)Math.Max(0, width) * Math.Max(0, height)} labels, got {labels.Count}.", nameof(labels));
        var sizes = labels.Where(l => l >= 0).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        // Colour rank: tied clusters (≥ 2 members) by size, largest first.
        var rank = sizes.Where(kv => kv.Value > 1).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Select((kv, i) => (kv.Key, i)).ToDictionary(t => t.Key, t => t.i);
        int removed = labels.Count(l => l < 0), tied = labels.Count(l => l >= 0 && sizes[l] > 1), kept = labels.Count - removed;
        double w = Math.Max(300, width * cellSize + 40), h = height * cellSize + 100;
        var svg = new SvgDocument("pixels", w, h, title, new Dictionary<string, string>
        {
            ["width"] = width.ToString(CultureInfo.InvariantCulture), ["height"] = height.ToString(CultureInfo.InvariantCulture),
            ["kept"] = kept.ToString(CultureInfo.InvariantCulture), ["tied"] = tied.ToString(CultureInfo.InvariantCulture),
            ["removed"] = removed.ToString(CultureInfo.InvariantCulture), ["tied-clusters"] = rank.Count.ToString(CultureInfo.InvariantCulture),
        });
        if (labels.Count == 0) return svg.NoData().Finish();
        double left = (w - width * cellSize) / 2, top = 30;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int l = labels[y * width + x];
                string fill = l < 0 ? "#f1f1f1" : rank.TryGetValue(l, out var r) ? Palette.Cluster(r) : "#37474f";
                string tip = l < 0 ? $"({x}, {y}) removed" : rank.ContainsKey(l) ? $"({x}, {y}) cluster {l} ({sizes[l]} pixels)" : $"({x}, {y}) kept";
                svg.Rect(left + x * cellSize, top + y * cellSize, cellSize, cellSize, fill, cls: "pixel", tooltip: tip);
            }
        svg.Rect(left, top, width * cellSize, height * cellSize, "none", stroke: "#999999");
        double ly = top + height * cellSize + 22;
        svg.Rect(left, ly - 9, 10, 10, "#f1f1f1", stroke: "#999999").Text(left + 14, ly, $"removed {removed}");
        svg.Rect(left + 100, ly - 9, 10, 10, "#37474f").Text(left + 114, ly, $"kept {kept - tied}");
        svg.Rect(left + 190, ly - 9, 10, 10, Palette.Cluster(0)).Text(left + 204, ly, $"tied {tied} in {rank.Count} clusters");
        return svg.Finish();
    }
}
