using System.Globalization;
using System.Xml.Linq;

namespace Knot.Tests.Reporting;

/// <summary>Parses chart SVG strings as XML and reads back what the charts promise: kind, title, ticks, classes.</summary>
public static class SvgAssert
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    /// <summary>Well-formed XML whose root is an &lt;svg&gt; with data-plot = kind and a non-empty &lt;title&gt;.</summary>
    public static XElement Parse(string svg, string kind)
    {
        var root = XDocument.Parse(svg).Root!;
        Assert.Equal(Ns + "svg", root.Name);
        Assert.Equal(kind, (string?)root.Attribute("data-plot"));
        var title = root.Element(Ns + "title");
        Assert.NotNull(title);
        Assert.False(string.IsNullOrWhiteSpace(title!.Value));
        return root;
    }

    public static List<XElement> WithClass(XElement root, string cls) =>
        root.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true).ToList();

    /// <summary>Numeric values of the tick labels of one axis class ("tick-x", "tick-y"); k/M suffixes expanded.</summary>
    public static List<double> Ticks(XElement root, string cls) => WithClass(root, cls).Select(e => Number(e.Value)).ToList();

    public static double Number(string text)
    {
        double scale = 1;
        if (text.EndsWith('k')) { scale = 1e3; text = text[..^1]; }
        else if (text.EndsWith('M')) { scale = 1e6; text = text[..^1]; }
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) * scale;
    }

    public static bool HasNoDataNote(XElement root) => WithClass(root, "no-data").Count == 1;
}
