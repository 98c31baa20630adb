namespace Knot.Reporting.Svg;

/// <summary>An axis range widened to "nice" tick values (1, 2, 2.5 or 5 × 10^k steps) that contains the data.</summary>
public sealed record NiceScale(double Min, double Max, double Step, IReadOnlyList<double> Ticks)
{
    /// <summary>
    /// Ticks covering [<paramref name="low"/>, <paramref name="high"/>] with about <paramref name="targetTicks"/>
    /// intervals. Equal or non-finite bounds give a unit-wide range around the value (or [0, 1]).
    /// </summary>
    /// <param name="minStep">Smallest tick step allowed (1 for counts such as epochs, so ticks stay whole numbers).</param>
    public static NiceScale Linear(double low, double high, int targetTicks = 5, double minStep = 0)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high))
        {
            low = 0;
            high = 1;
        }
        if (low > high) (low, high) = (high, low);
        if (high - low < 1e-12 * Math.Max(1, Math.Abs(high)))
        {
            double pad = low == 0 ? 1 : Math.Abs(low) * 0.1;
            low -= pad;
            high += pad;
        }
        double step = Math.Max(NiceStep((high - low) / Math.Max(1, targetTicks)), minStep);
        double min = Math.Floor(low / step) * step, max = Math.Ceiling(high / step) * step;
        var ticks = new List<double>();
        for (int i = 0; min + i * step <= max + step * 1e-9; i++)
        {
            double t = min + i * step;
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        }
        return new NiceScale(min, max, step, ticks);
    }

    /// <summary>Decades covering positive [low, high] (ticks at 10^k; with two decades or fewer also 2 and 5 × 10^k).</summary>
    public static NiceScale Log10(double low, double high)
    {
        if (!(low > 0) || !double.IsFinite(low)) low = high > 0 && double.IsFinite(high) ? high / 10 : 1;
        if (!(high > 0) || !double.IsFinite(high)) high = low * 10;
        if (low > high) (low, high) = (high, low);
        double lo = Math.Floor(Math.Log10(low)), hi = Math.Ceiling(Math.Log10(high));
        if (hi <= lo) hi = lo + 1;
        var ticks = new List<double>();
        bool fine = hi - lo <= 2;
        for (double e = lo; e <= hi; e++)
        {
            double p = Math.Pow(10, e);
            ticks.Add(p);
            if (fine && e < hi)
            {
                ticks.Add(2 * p);
                ticks.Add(5 * p);
            }
        }
        return new NiceScale(Math.Pow(10, lo), Math.Pow(10, hi), 10, ticks);
    }

    /// <summary>The nice number (1, 2, 2.5, 5 × 10^k) nearest above a raw step.</summary>
    public static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / magnitude;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    public bool Contains(double v) => v >= Min - 1e-12 * Math.Abs(Min) && v <= Max + 1e-12 * Math.Abs(Max);
}
