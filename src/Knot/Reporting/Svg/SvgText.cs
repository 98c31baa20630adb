using System.Globalization;
using System.Text;

namespace Knot.Reporting.Svg;

/// <summary>Escaping and number formatting for SVG/HTML text (invariant culture, no exponent noise).</summary>
public static class SvgText
{
    /// <summary>Escapes &amp;, &lt;, &gt;, quotes; drops control characters that XML 1.0 forbids.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    if (c < 0x20 && c is not ('\t' or '\n' or '\r')) continue;
                    if (c is '\uFFFE' or '\uFFFF') continue;
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A coordinate: two decimals at most.</summary>
    public static string C(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A tick label: as many decimals as the step needs; thousands and millions shortened.</summary>
    public static string Tick(double v, double step)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e6 && step >= 1e5) return (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M";
        if (a >= 1e4 && step >= 1e3) return (v / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k";
        int decimals = step >= 1 ? 0 : Math.Min(8, (int)Math.Ceiling(-Math.Log10(step) - 1e-9) + (IsQuarter(step) ? 1 : 0));
        return v.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static bool IsQuarter(double step)
    {
        double m = step / Math.Pow(10, Math.Floor(Math.Log10(step)));
        return Math.Abs(m - 2.5) < 1e-9;
    }

    /// <summary>A log-axis label: 10^k shown as 1, 10, 100, 1k, 10k, … or 0.01.</summary>
    public static string LogTick(double v)
    {
        if (v >= 1e6) return (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M";
        if (v >= 1e3) return (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k";
        return v.ToString("0.######", CultureInfo.InvariantCulture);
    }

    /// <summary>A value for a table or tooltip: 4 significant digits.</summary>
    public static string Value(double v) =>
        double.IsNaN(v) ? "–" : double.IsInfinity(v) ? (v > 0 ? "∞" : "−∞") : v.ToString("G4", CultureInfo.InvariantCulture);
}
