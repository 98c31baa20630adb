using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Tests.Compression.Proximal;

/// <summary>Slow, obviously-correct references and random inputs shared by the proximal tests.</summary>
internal static class ProxTestUtil
{
    public static int Index(GroupLayout layout, int o, int j, int k) => (o * layout.In + j) * layout.Inner + k;

    public static double[] NaiveNorms(GroupLayout layout, ReadOnlySpan<float> w)
    {
        var norms = new double[layout.GroupCount];
        for (int j = 0; j < layout.In; j++)
        {
            double s = 0;
            for (int o = 0; o < layout.Out; o++)
                for (int k = 0; k < layout.Inner; k++)
                {
                    double v = w[Index(layout, o, j, k)];
                    s += v * v;
                }
            norms[j] = Math.Sqrt(s);
        }
        return norms;
    }

    public static float[] RandomWeights(KnotRandom rng, int size, double scale = 1.0)
    {
        var w = new float[size];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextNormal() * scale);
        return w;
    }

    /// <summary>Random weights whose group norms tie often: each group is a multiple (from a small set) of a shared random vector, possibly negated.</summary>
    public static float[] TiedGroupWeights(KnotRandom rng, GroupLayout layout)
    {
        var w = new float[layout.Size];
        var baseGroup = RandomWeights(rng, layout.GroupSize);
        var g = new float[layout.GroupSize];
        for (int j = 0; j < layout.GroupCount; j++)
        {
            float m = rng.NextInt(5) * 0.5f * (rng.NextInt(2) == 0 ? 1 : -1);
            for (int i = 0; i < g.Length; i++) g[i] = baseGroup[i] * m;
            layout.SetGroup(w, j, g);
        }
        return w;
    }

    /// <summary>Random non-increasing, non-negative λ with λ1 &gt; 0, drawn from a small set so that ties are common.</summary>
    public static OwlWeights RandomLambdas(KnotRandom rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextInt(4) * 0.25f;
        Array.Sort(v);
        Array.Reverse(v);
        if (v[0] == 0) v[0] = 0.5f;
        return OwlWeights.Explicit(v);
    }

    /// <summary>
    /// Projection onto {x1 ≥ … ≥ xn ≥ 0} by exhaustion: the answer is constant on contiguous blocks, equal to the block's
    /// mean of d, except a trailing run of blocks at 0. Try every contiguous partition and every zero tail, keep the
    /// feasible candidate closest to d. Exponential; for n ≤ 10.
    /// </summary>
    public static double[] BruteForceProjection(ReadOnlySpan<double> d)
    {
        int n = d.Length;
        double[]? best = null;
        double bestDist = double.PositiveInfinity;
        var x = new double[n];
        var starts = new List<int>();
        for (int mask = 0; mask < 1 << (n - 1); mask++)
        {
            starts.Clear();
            starts.Add(0);
            for (int b = 0; b < n - 1; b++) if ((mask & (1 << b)) != 0) starts.Add(b + 1);
            int blocks = starts.Count;
            for (int zeroBlocks = 0; zeroBlocks <= blocks; zeroBlocks++)
            {
                for (int b = 0; b < blocks; b++)
                {
                    int s = starts[b], e = b + 1 < blocks ? starts[b + 1] : n;
                    double mean = 0;
                    for (int i = s; i < e; i++) mean += d[i];
                    mean /= e - s;
                    double value = b >= blocks - zeroBlocks ? 0 : mean;
                    for (int i = s; i < e; i++) x[i] = value;
                }
                bool feasible = x[n - 1] >= 0;
                for (int i = 1; i < n && feasible; i++) feasible = x[i - 1] >= x[i];
                if (!feasible) continue;
                double dist = 0;
                for (int i = 0; i < n; i++) dist += (x[i] - d[i]) * (x[i] - d[i]);
                if (dist < bestDist - 1e-12)
                {
                    bestDist = dist;
                    best = (double[])x.Clone();
                }
            }
        }
        return best!;
    }

    /// <summary>Σ λ_i |v|_(i) in double, by sorting a copy.</summary>
    public static double OwlNorm(ReadOnlySpan<double> magnitudes, ReadOnlySpan<float> lambdas)
    {
        var sorted = magnitudes.ToArray();
        Array.Sort(sorted);
        Array.Reverse(sorted);
        double total = 0;
        for (int i = 0; i < sorted.Length; i++) total += lambdas[i] * sorted[i];
        return total;
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        return Math.Sqrt(s);
    }
}
