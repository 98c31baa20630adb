using System.Text;
using Knot.Reporting.Svg;

namespace Knot.Reporting;

/// <summary>A titled part of a report: paragraphs, tables and figures in order.</summary>
public sealed class ReportSection(string heading)
{
    private readonly List<string> _blocks = [];

    public string Heading { get; } = heading;

    public IReadOnlyList<string> Blocks => _blocks;

    public ReportSection Paragraph(string text)
    {
        _blocks.Add("<p>" + SvgText.Escape(text) + "</p>");
        return this;
    }

    /// <summary>A figure: an SVG string from <see cref="Svg"/> and a caption.</summary>
    public ReportSection Figure(string svg, string caption)
    {
        _blocks.Add("<figure>" + svg + "<figcaption>" + SvgText.Escape(caption) + "</figcaption></figure>");
        return this;
    }

    /// <summary>A table of text cells (escaped); numeric-looking cells are right-aligned.</summary>
    public ReportSection Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? cls = null, bool alignNumbers = true)
    {
        var sb = new StringBuilder("<table");
        if (cls is not null) sb.Append(" class=\"").Append(cls).Append('"');
        sb.Append("><thead><tr>");
        foreach (var h in headers) sb.Append("<th>").Append(SvgText.Escape(h)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
                sb.Append(alignNumbers && IsNumeric(cell) ? "<td class=\"num\">" : "<td>").Append(SvgText.Escape(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        _blocks.Add(sb.Append("</tbody></table>").ToString());
        return this;
    }

    /// <summary>A two-column key/value table.</summary>
    public ReportSection Facts(IEnumerable<(string Key, string Value)> facts) =>
        Table(["", ""], facts.Select(f => (IReadOnlyList<string>)[f.Key, f.Value]), "facts", alignNumbers: false);

    private static bool IsNumeric(string s) => s.Length > 0 && (char.IsDigit(s[0]) || ((s[0] is '-' or '−' or '.') && s.Length > 1 && char.IsDigit(s[1])));
}

/// <summary>
/// One self-contained HTML file: inline CSS, inline SVG figures, no script and no network. The head lists the plot
/// kinds the page contains (meta "knot-plots") so a checker can verify every one was rendered.
/// </summary>
public sealed class HtmlReport(string title, string subtitle)
{
    private readonly List<ReportSection> _sections = [];

    public string Title { get; } = title;
    public string Subtitle { get; } = subtitle;
    public IReadOnlyList<ReportSection> Sections => _sections;

    public ReportSection Section(string heading)
    {
        var s = new ReportSection(heading);
        _sections.Add(s);
        return s;
    }

    /// <summary>Distinct data-plot kinds of the figures, in order of appearance.</summary>
    public IReadOnlyList<string> PlotKinds()
    {
        var kinds = new List<string>();
        foreach (var block in _sections.SelectMany(s => s.Blocks))
        {
            for (int at = block.IndexOf("data-plot=\"", StringComparison.Ordinal); at >= 0; at = block.IndexOf("data-plot=\"", at + 1, StringComparison.Ordinal))
            {
                int start = at + "data-plot=\"".Length, end = block.IndexOf('"', start);
                string kind = block[start..end];
                if (!kinds.Contains(kind)) kinds.Add(kind);
            }
        }
        return kinds;
    }

    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<meta name=\"generator\" content=\"knot report\">");
        sb.Append("<meta name=\"knot-plots\" content=\"").Append(SvgText.Escape(string.Join(",", PlotKinds()))).Append("\">");
        sb.Append("<title>").Append(SvgText.Escape(Title)).Append("</title><style>").Append(Css).Append("</style></head><body>\n");
        sb.Append("<header><h1>").Append(SvgText.Escape(Title)).Append("</h1><p class=\"sub\">").Append(SvgText.Escape(Subtitle)).Append("</p></header>\n");
        foreach (var s in _sections)
        {
            sb.Append("<section><h2>").Append(SvgText.Escape(s.Heading)).Append("</h2><div class=\"blocks\">");
            foreach (var b in s.Blocks) sb.Append(b).Append('\n');
            sb.Append("</div></section>\n");
        }
        sb.Append("<footer>Written by <code>knot report</code>: one file, inline SVG, no JavaScript, no network.</footer>\n</body></html>\n");
        return sb.ToString();
    }

    private const string Css =
        "body{font-family:Helvetica,Arial,sans-serif;margin:0 auto;max-width:1340px;padding:16px 24px;color:#222;background:#fafafa}" +
        "header h1{margin:4px 0;font-size:24px}.sub{margin:2px 0 10px;color:#555}" +
        "section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:14px 0;padding:10px 16px}" +
        "h2{font-size:17px;margin:6px 0 10px;color:#1f3b5a}" +
        ".blocks{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.blocks>p{flex-basis:100%;margin:2px 0;font-size:14px}" +
        "figure{margin:0;display:inline-block}figcaption{font-size:12px;color:#555;max-width:600px;margin-top:2px}" +
        "table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e6e6e6;padding:3px 9px;text-align:left}" +
        "th{background:#f2f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}" +
        "table.facts thead{display:none}table.facts td:first-child{color:#555}" +
        "footer{color:#888;font-size:12px;margin:18px 0}code{background:#f0f0f0;padding:1px 4px;border-radius:3px}";
}
