using System.Globalization;

namespace Knot.Reporting.Svg;

/// <summary>Colours: ten distinct categorical colours, then evenly spread hues (golden angle) for many clusters.</summary>
public static class Palette
{
    private static readonly string[] Categorical =
        ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

    public static string Series(int i) => Categorical[((i % Categorical.Length) + Categorical.Length) % Categorical.Length];

    /// <summary>A colour per cluster id: categorical for the first ten, then HSL hues 137.5° apart.</summary>
    public static string Cluster(int id)
    {
        if (id < Categorical.Length) return Categorical[Math.Max(0, id)];
        var (r, g, b) = Rgb(id);
        return string.Create(CultureInfo.InvariantCulture, $"#{r:x2}{g:x2}{b:x2}");
    }

    public static (byte R, byte G, byte B) Rgb(int id)
    {
        if (id >= 0 && id < Categorical.Length)
        {
            var s = Categorical[id];
            return (Convert.ToByte(s[1..3], 16), Convert.ToByte(s[3..5], 16), Convert.ToByte(s[5..7], 16));
        }
        double hue = (id * 137.508) % 360, sat = 0.65, light = id % 2 == 0 ? 0.45 : 0.6;
        return FromHsl(hue, sat, light);
    }

    /// <summary>Similarity/heat colour for t in [0, 1]: white → blue → dark navy.</summary>
    public static (byte R, byte G, byte B) Heat(double t)
    {
        if (!double.IsFinite(t)) return (255, 255, 255);
        t = Math.Clamp(t, 0, 1);
        (double r, double g, double b) a = (255, 255, 255), m = (66, 133, 244), z = (8, 29, 88);
        var (p, q, u) = t < 0.5 ? (a, m, t * 2) : (m, z, (t - 0.5) * 2);
        return ((byte)(p.r + (q.r - p.r) * u), (byte)(p.g + (q.g - p.g) * u), (byte)(p.b + (q.b - p.b) * u));
    }

    public static string Hex((byte R, byte G, byte B) c) => string.Create(CultureInfo.InvariantCulture, $"#{c.R:x2}{c.G:x2}{c.B:x2}");

    private static (byte, byte, byte) FromHsl(double h, double s, double l)
    {
        double c = (1 - Math.Abs(2 * l - 1)) * s, x = c * (1 - Math.Abs(h / 60 % 2 - 1)), m = l - c / 2;
        var (r, g, b) = h switch
        {
            < 60 => (c, x, 0.0),
            < 120 => (x, c, 0.0),
            < 180 => (0.0, c, x),
            < 240 => (0.0, x, c),
            < 300 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return ((byte)Math.Round((r + m) * 255), (byte)Math.Round((g + m) * 255), (byte)Math.Round((b + m) * 255));
    }
}
