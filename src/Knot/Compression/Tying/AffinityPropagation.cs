using Knot.Tensors;

namespace Knot.Compression.Tying;

/// <summary>Settings of <see cref="AffinityPropagation"/>; defaults are the GrOWL-MNIST ones (METHODS.md §1.4).</summary>
public sealed record AffinityPropagationOptions
{
    /// <summary>s(k, k) for every point: higher → more clusters. 0.6 for MNIST, 0.8 for VGG in the GrOWL paper.</summary>
    public double Preference { get; init; } = 0.6;
    /// <summary>Message damping in [0.5, 1).</summary>
    public double Damping { get; init; } = 0.5;
    public int MaxIterations { get; init; } = 200;
    /// <summary>Stop once the exemplar set has not changed for this many iterations.</summary>
    public int ConvergenceIterations { get; init; } = 15;
    /// <summary>
    /// Symmetric inputs (e.g. identical groups) make AP's messages tie and oscillate; like scikit-learn we add tiny
    /// noise to S to break ties: s_ij += (NoiseScale·|s_ij| + 1e-300)·N(0,1), drawn from a KnotRandom seeded with
    /// <see cref="NoiseSeed"/>, so results are the same on every run. 0 disables it.
    /// </summary>
    public double NoiseScale { get; init; } = 1e-9;
    public ulong NoiseSeed { get; init; }

    internal void Validate()
    {
        if (!double.IsFinite(Preference))
            throw new ArgumentOutOfRangeException(nameof(Preference), Preference, "Preference must be finite.");
        if (!(Damping >= 0.5 && Damping < 1))
            throw new ArgumentOutOfRangeException(nameof(Damping), Damping, "Damping must be in [0.5, 1).");
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be >= 1.");
        if (ConvergenceIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(ConvergenceIterations), ConvergenceIterations, "ConvergenceIterations must be >= 1.");
        if (!double.IsFinite(NoiseScale) || NoiseScale < 0)
            throw new ArgumentOutOfRangeException(nameof(NoiseScale), NoiseScale, "NoiseScale must be finite and >= 0.");
    }
}

/// <summary>Clusters found by affinity propagation.</summary>
/// <param name="Exemplars">Point index of each cluster's exemplar, ascending; cluster c is the one whose exemplar is Exemplars[c].</param>
/// <param name="Labels">Cluster id (0..K−1) of every point.</param>
/// <param name="Iterations">Message-passing iterations run.</param>
/// <param name="Converged">False if the exemplar set never settled (or none emerged); then every point is its own
/// cluster, which ties nothing — the safe reading of "no structure found".</param>
public sealed record AffinityPropagationResult(int[] Exemplars, int[] Labels, int Iterations, bool Converged)
{
    public int ClusterCount => Exemplars.Length;
}

/// <summary>
/// Affinity propagation (Frey &amp; Dueck, Science 2007) on a dense similarity matrix, with the same update order,
/// convergence test and exemplar refinement as scikit-learn's implementation (which the GrOWL authors used).
/// O(n²) memory and O(n²) work per iteration.
/// </summary>
public static class AffinityPropagation
{
    /// <param name="similarity">n × n row-major similarities (the diagonal is ignored: it becomes the preference).</param>
    public static AffinityPropagationResult Cluster(ReadOnlySpan<double> similarity, int n, AffinityPropagationOptions? options = null)
    {
        options ??= new AffinityPropagationOptions();
        options.Validate();
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be >= 0.");
        if (similarity.Length != (long)n * n)
            throw new ArgumentException($"Expected an {n} × {n} similarity matrix ({(long)n * n} values), got {similarity.Length}.", nameof(similarity));
        for (int i = 0; i < similarity.Length; i++)
            if (!double.IsFinite(similarity[i]))
                throw new ArgumentException($"similarity[{i / n}, {i % n}] = {similarity[i]} is not finite.", nameof(similarity));

        if (n == 0) return new AffinityPropagationResult([], [], 0, true);
        if (n == 1) return new AffinityPropagationResult([0], [0], 0, true);

        var s = similarity.ToArray();
        double pref = options.Preference;
        for (int i = 0; i < n; i++) s[i * n + i] = pref;

        // All off-diagonal similarities equal: AP's messages are perfectly symmetric; answer as scikit-learn does.
        if (AllOffDiagonalEqual(s, n, out double common))
        {
            if (pref < common) return new AffinityPropagationResult([0], new int[n], 0, true);
            return Singletons(n, 0, converged: true);
        }

        if (options.NoiseScale > 0)
        {
            var rng = new KnotRandom(options.NoiseSeed);
            for (int i = 0; i < s.Length; i++) s[i] += (options.NoiseScale * Math.Abs(s[i]) + 1e-300) * rng.NextNormal();
        }

        var messages = new AffinityMessages(s, n, options.Damping, AffinityMessages.PartsFor(n));
        double[] r = messages.R, a = messages.A;
        var exemplar = new bool[n];
        var history = new bool[n, options.ConvergenceIterations]; // ring buffer of "is exemplar" per point
        int convit = options.ConvergenceIterations;
        bool converged = false;
        int it;
        for (it = 0; it < options.MaxIterations; it++)
        {
            messages.Update();

            int count = 0;
            for (int k = 0; k < n; k++)
            {
                exemplar[k] = a[k * n + k] + r[k * n + k] > 0;
                if (exemplar[k]) count++;
                history[k, it % convit] = exemplar[k];
            }
            if (it >= convit && count > 0 && Stable(history, n, convit))
            {
                converged = true;
                it++;
                break;
            }
        }
        if (!converged) return Singletons(n, it, converged: false);
        return Assign(s, n, exemplar, it);
    }

    /// <summary>Every point stayed an exemplar, or stayed a non-exemplar, over the whole window.</summary>
    private static bool Stable(bool[,] history, int n, int convit)
    {
        for (int k = 0; k < n; k++)
        {
            int on = 0;
            for (int t = 0; t < convit; t++) if (history[k, t]) on++;
            if (on != 0 && on != convit) return false;
        }
        return true;
    }

    /// <summary>Labels by nearest exemplar, then each cluster's exemplar refined to the member with the largest total
    /// similarity to its cluster, then labels again (as scikit-learn).</summary>
    private static AffinityPropagationResult Assign(double[] s, int n, bool[] isExemplar, int iterations)
    {
        var ex = new List<int>();
        for (int k = 0; k < n; k++) if (isExemplar[k]) ex.Add(k);
        var labels = NearestExemplar(s, n, ex);
        var refined = new List<int>(ex.Count);
        var members = new List<int>();
        for (int c = 0; c < ex.Count; c++)
        {
            members.Clear();
            for (int i = 0; i < n; i++) if (labels[i] == c) members.Add(i);
            int best = ex[c];
            double bestSum = double.NegativeInfinity;
            foreach (int j in members)
            {
                double sum = 0;
                foreach (int i in members) sum += s[i * n + j];
                if (sum > bestSum) { bestSum = sum; best = j; }
            }
            refined.Add(best);
        }
        refined.Sort();
        // Two refined exemplars can coincide only if clusters were empty; keep the set unique.
        var unique = refined.Distinct().ToList();
        labels = NearestExemplar(s, n, unique);
        return new AffinityPropagationResult(unique.ToArray(), labels, iterations, true);
    }

    private static int[] NearestExemplar(double[] s, int n, List<int> exemplars)
    {
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            double bestS = double.NegativeInfinity;
            for (int c = 0; c < exemplars.Count; c++)
            {
                double v = s[i * n + exemplars[c]];
                if (v > bestS) { bestS = v; best = c; }
            }
            labels[i] = best;
        }
        for (int c = 0; c < exemplars.Count; c++) labels[exemplars[c]] = c;
        return labels;
    }

    private static AffinityPropagationResult Singletons(int n, int iterations, bool converged)
    {
        var ids = Enumerable.Range(0, n).ToArray();
        return new AffinityPropagationResult(ids, (int[])ids.Clone(), iterations, converged);
    }

    private static bool AllOffDiagonalEqual(double[] s, int n, out double value)
    {
        value = s[1];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j && s[i * n + j] != value) return false;
        return true;
    }
}
