namespace Knot.Reporting.Svg;

/// <summary>The data rectangle of a chart and its mappings from data to pixels (linear or log10 on x).</summary>
public sealed class PlotArea(double left, double top, double width, double height, NiceScale x, NiceScale y, bool logX = false)
{
    public double Left { get; } = left;
    public double Top { get; } = top;
    public double Width { get; } = width;
    public double Height { get; } = height;
    public double Right => Left + Width;
    public double Bottom => Top + Height;
    public NiceScale XScale { get; } = x;
    public NiceScale YScale { get; } = y;
    public bool LogX { get; } = logX;

    public double X(double v) => LogX
        ? Left + (Math.Log10(v) - Math.Log10(XScale.Min)) / (Math.Log10(XScale.Max) - Math.Log10(XScale.Min)) * Width
        : Left + (v - XScale.Min) / (XScale.Max - XScale.Min) * Width;

    public double Y(double v) => YOn(YScale, v);

    public double YOn(NiceScale scale, double v) => Bottom - (v - scale.Min) / (scale.Max - scale.Min) * Height;

    /// <summary>Frame, grid, ticks and axis labels. The y axis may be log10 (<paramref name="logY"/>): then y values are already log10.</summary>
    public void DrawAxes(SvgDocument svg, string xLabel, string yLabel, bool logY = false)
    {
        foreach (var t in YScale.Ticks)
        {
            double py = Y(t);
            svg.Line(Left, py, Right, py, "#e6e6e6");
            svg.Text(Left - 6, py + 4, logY ? SvgText.LogTick(Math.Pow(10, t)) : SvgText.Tick(t, YScale.Step), anchor: "end", cls: "tick-y");
        }
        foreach (var t in XScale.Ticks)
        {
            double px = X(t);
            svg.Line(px, Top, px, Bottom, "#f0f0f0");
            svg.Line(px, Bottom, px, Bottom + 4, "#444444");
            svg.Text(px, Bottom + 16, LogX ? SvgText.LogTick(t) : SvgText.Tick(t, XScale.Step), anchor: "middle", cls: "tick-x");
        }
        svg.Line(Left, Bottom, Right, Bottom, "#444444").Line(Left, Top, Left, Bottom, "#444444");
        svg.Text(Left + Width / 2, Bottom + 34, xLabel, anchor: "middle", size: 12);
        svg.Text(Left - 46, Top + Height / 2, yLabel, anchor: "middle", size: 12, rotate: -90);
    }

    /// <summary>A second y axis on the right for another scale.</summary>
    public void DrawRightAxis(SvgDocument svg, NiceScale scale, string label)
    {
        svg.Line(Right, Top, Right, Bottom, "#444444");
        foreach (var t in scale.Ticks)
        {
            double py = YOn(scale, t);
            svg.Line(Right, py, Right + 4, py, "#444444");
            svg.Text(Right + 7, py + 4, SvgText.Tick(t, scale.Step), cls: "tick-y2");
        }
        svg.Text(Right + 48, Top + Height / 2, label, anchor: "middle", size: 12, rotate: 90);
    }
}
