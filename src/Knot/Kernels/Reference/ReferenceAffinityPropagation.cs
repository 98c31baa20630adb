namespace Knot.Kernels.Reference;

/// <summary>
/// Affinity propagation's damped message round by plain loops (Frey &amp; Dueck 2007, in scikit-learn's update order).
/// The ground truth for <see cref="Compression.Tying.AffinityPropagation"/>'s vector passes; never optimise it.
/// </summary>
public static class ReferenceAffinityPropagation
{
    /// <summary>Responsibilities then availabilities, each damped: m ← damp·m + (1 − damp)·fresh.</summary>
    public static void UpdateMessages(ReadOnlySpan<double> s, Span<double> r, Span<double> a, int n, double damp)
    {
        double keep = 1 - damp;
        // r(i,k) ← s(i,k) − max_{k'≠k} (a(i,k') + s(i,k')): the largest and second-largest of each row.
        for (int i = 0; i < n; i++)
        {
            int row = i * n;
            double max1 = double.NegativeInfinity, max2 = double.NegativeInfinity;
            int arg = 0;
            for (int k = 0; k < n; k++)
            {
                double v = a[row + k] + s[row + k];
                if (v > max1) { max2 = max1; max1 = v; arg = k; }
                else if (v > max2) max2 = v;
            }
            for (int k = 0; k < n; k++)
            {
                double fresh = s[row + k] - (k == arg ? max2 : max1);
                r[row + k] = damp * r[row + k] + keep * fresh;
            }
        }
        // a(i,k) ← min(0, r(k,k) + Σ_{i'∉{i,k}} max(0, r(i',k))), a(k,k) ← Σ_{i'≠k} max(0, r(i',k)).
        var colSum = new double[n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double v = r[i * n + k];
                colSum[k] += i == k ? v : Math.Max(v, 0);
            }
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double v = r[i * n + k];
                double fresh = i == k ? colSum[k] - v : Math.Min(colSum[k] - Math.Max(v, 0), 0);
                a[i * n + k] = damp * a[i * n + k] + keep * fresh;
            }
    }
}
