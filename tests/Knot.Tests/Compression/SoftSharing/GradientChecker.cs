namespace Knot.Tests.Compression.SoftSharing;

/// <summary>Central-difference gradient check in double.</summary>
internal static class GradientChecker
{
    /// <summary>
    /// Largest error over all coordinates between <paramref name="analytic"/> and (f(x + h e_i) − f(x − h e_i)) / 2h,
    /// each measured as |num − an| / max(|num|, |an|, <paramref name="floor"/>): relative for large derivatives,
    /// absolute (in units of floor) for small ones.
    /// </summary>
    public static (double MaxError, int WorstIndex, double Numeric, double Analytic) Check(
        Func<double[], double> f, double[] x, IReadOnlyList<double> analytic, double h = 1e-5, double floor = 1e-2)
    {
        if (analytic.Count != x.Length) throw new ArgumentException($"analytic has {analytic.Count} entries, x has {x.Length}.");
        double worst = -1;
        int worstIndex = -1;
        double worstNum = 0, worstAn = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h;
            double fp = f(x);
            x[i] = keep - h;
            double fm = f(x);
            x[i] = keep;
            double num = (fp - fm) / (2 * h);
            double an = analytic[i];
            double err = Math.Abs(num - an) / Math.Max(Math.Max(Math.Abs(num), Math.Abs(an)), floor);
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            if (err > worst)
            {
                worst = err;
                worstIndex = i;
                worstNum = num;
                worstAn = an;
            }
        }

        return (worst, worstIndex, worstNum, worstAn);
    }
}
