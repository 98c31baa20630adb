using System.Text;
using static Knot.Reporting.Svg.SvgText;

namespace Knot.Reporting.Svg;

/// <summary>
/// A standalone SVG string being written: root with data-plot="kind" and a &lt;title&gt;, then shapes with inline
/// presentation attributes (no CSS or script needed, so the same string works in HTML, in a file or as an image).
/// </summary>
public sealed class SvgDocument
{
    private readonly StringBuilder _sb = new();

    public SvgDocument(string kind, double width, double height, string title, IReadOnlyDictionary<string, string>? dataAttributes = null)
    {
        Width = width;
        Height = height;
        _sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(C(width)).Append("\" height=\"").Append(C(height))
            .Append("\" viewBox=\"0 0 ").Append(C(width)).Append(' ').Append(C(height)).Append("\" data-plot=\"").Append(Escape(kind))
            .Append("\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\"");
        if (dataAttributes is not null)
            foreach (var (k, v) in dataAttributes) _sb.Append(" data-").Append(Escape(k)).Append("=\"").Append(Escape(v)).Append('"');
        _sb.Append("><title>").Append(Escape(title)).Append("</title>");
        _sb.Append("<rect x=\"0\" y=\"0\" width=\"").Append(C(width)).Append("\" height=\"").Append(C(height)).Append("\" fill=\"#ffffff\"/>");
        Text(width / 2, 16, title, anchor: "middle", size: 13, weight: "bold");
    }

    public double Width { get; }
    public double Height { get; }

    public SvgDocument Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? dash = null, string? cls = null)
    {
        _sb.Append("<line x1=\"").Append(C(x1)).Append("\" y1=\"").Append(C(y1)).Append("\" x2=\"").Append(C(x2)).Append("\" y2=\"").Append(C(y2))
            .Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(C(width)).Append('"');
        if (dash is not null) _sb.Append(" stroke-dasharray=\"").Append(dash).Append('"');
        if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
        _sb.Append("/>");
        return this;
    }

    /// <param name="data">Optional data-* attributes (name without the prefix, value) that tests and scripts can read.</param>
    public SvgDocument Rect(double x, double y, double w, double h, string fill, string? cls = null, string? tooltip = null, string? stroke = null,
        (string Name, string Value)? data = null)
    {
        _sb.Append("<rect x=\"").Append(C(x)).Append("\" y=\"").Append(C(y)).Append("\" width=\"").Append(C(Math.Max(0, w))).Append("\" height=\"")
            .Append(C(Math.Max(0, h))).Append("\" fill=\"").Append(fill).Append('"');
        if (data is { } d) _sb.Append(" data-").Append(Escape(d.Name)).Append("=\"").Append(Escape(d.Value)).Append('"');
        if (stroke is not null) _sb.Append(" stroke=\"").Append(stroke).Append("\" stroke-width=\"1\"");
        if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
        if (tooltip is null) _sb.Append("/>");
        else _sb.Append("><title>").Append(Escape(tooltip)).Append("</title></rect>");
        return this;
    }

    public SvgDocument Circle(double cx, double cy, double r, string fill, string? cls = null, string? tooltip = null, string? stroke = null)
    {
        _sb.Append("<circle cx=\"").Append(C(cx)).Append("\" cy=\"").Append(C(cy)).Append("\" r=\"").Append(C(r)).Append("\" fill=\"").Append(fill).Append('"');
        if (stroke is not null) _sb.Append(" stroke=\"").Append(stroke).Append("\" stroke-width=\"1.5\"");
        if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
        if (tooltip is null) _sb.Append("/>");
        else _sb.Append("><title>").Append(Escape(tooltip)).Append("</title></circle>");
        return this;
    }

    /// <summary>A polyline through the points; a NaN point ends one segment and starts the next.</summary>
    public SvgDocument Polyline(IReadOnlyList<(double X, double Y)> points, string stroke, double width = 1.6, string? dash = null, string? cls = null)
    {
        var segment = new List<(double, double)>();
        void Flush()
        {
            if (segment.Count == 1) Circle(segment[0].Item1, segment[0].Item2, width, stroke, cls);
            else if (segment.Count > 1)
            {
                _sb.Append("<polyline fill=\"none\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(C(width)).Append("\" stroke-linejoin=\"round\"");
                if (dash is not null) _sb.Append(" stroke-dasharray=\"").Append(dash).Append('"');
                if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
                _sb.Append(" points=\"");
                for (int i = 0; i < segment.Count; i++) _sb.Append(i == 0 ? "" : " ").Append(C(segment[i].Item1)).Append(',').Append(C(segment[i].Item2));
                _sb.Append("\"/>");
            }
            segment.Clear();
        }
        foreach (var (x, y) in points)
        {
            if (double.IsFinite(x) && double.IsFinite(y)) segment.Add((x, y));
            else Flush();
        }
        Flush();
        return this;
    }

    public SvgDocument Text(double x, double y, string text, string anchor = "start", double size = 11, string? weight = null, string fill = "#222222",
        double rotate = 0, string? cls = null)
    {
        _sb.Append("<text x=\"").Append(C(x)).Append("\" y=\"").Append(C(y)).Append("\" text-anchor=\"").Append(anchor).Append("\" font-size=\"").Append(C(size))
            .Append("\" fill=\"").Append(fill).Append('"');
        if (weight is not null) _sb.Append(" font-weight=\"").Append(weight).Append('"');
        if (rotate != 0) _sb.Append(" transform=\"rotate(").Append(C(rotate)).Append(' ').Append(C(x)).Append(' ').Append(C(y)).Append(")\"");
        if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
        _sb.Append('>').Append(Escape(text)).Append("</text>");
        return this;
    }

    /// <summary>An embedded raster (data URI), drawn with crisp pixels.</summary>
    public SvgDocument Image(double x, double y, double w, double h, string dataUri, string? cls = null)
    {
        _sb.Append("<image x=\"").Append(C(x)).Append("\" y=\"").Append(C(y)).Append("\" width=\"").Append(C(w)).Append("\" height=\"").Append(C(h))
            .Append("\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\"");
        if (cls is not null) _sb.Append(" class=\"").Append(cls).Append('"');
        _sb.Append(" href=\"").Append(dataUri).Append("\"/>");
        return this;
    }

    /// <summary>The visible note for charts without finite data (they render, never throw).</summary>
    public SvgDocument NoData(string reason = "no data")
    {
        Rect(20, 30, Width - 40, Height - 50, "#f6f6f6", stroke: "#cccccc");
        Text(Width / 2, Height / 2 + 5, reason, anchor: "middle", size: 14, fill: "#888888", cls: "no-data");
        return this;
    }

    public string Finish() => _sb.Append("</svg>").ToString();
}
