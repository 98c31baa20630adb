namespace Knot.Compression.Tying;

/// <summary>
/// Caps the number of clusters affinity propagation finds: if the requested preference gives more than the cap, the
/// preference is lowered (doubling the step, then bisecting) to the one that gives the most clusters not above it.
/// Lets a user ask for a compression (groups / clusters) instead of guessing a preference, whose effect depends on
/// how spread the similarities are (on growl-mnist the 32-cluster preference ranged from −0.8 to −1.4 across seeds).
/// </summary>
/// <remarks>
/// The cluster count of AP is not exactly monotone in the preference, so the answer is the best of the preferences
/// tried, not a proof that no other preference does better. An AP run that does not converge counts as "too many"
/// (it reports every point as its own cluster).
/// </remarks>
public static class PreferenceSearch
{
    public const int MaxDoublings = 40;
    public const int BisectionSteps = 30;

    public sealed record Outcome(AffinityPropagationResult Result, double Preference, int Tries);

    /// <param name="clusterAt">Runs AP at a preference (the caller keeps the similarity matrix and any retry policy).</param>
    public static Outcome AtMost(int maxClusters, double preference, Func<double, AffinityPropagationResult> clusterAt)
    {
        ArgumentNullException.ThrowIfNull(clusterAt);
        if (maxClusters < 1) throw new ArgumentOutOfRangeException(nameof(maxClusters), maxClusters, "The cluster cap must be >= 1.");
        if (!double.IsFinite(preference)) throw new ArgumentOutOfRangeException(nameof(preference), preference, "The preference must be finite.");
        int tries = 1;
        var first = clusterAt(preference);
        if (first.ClusterCount <= maxClusters) return new Outcome(first, preference, tries);

        double high = preference, step = 1, low = preference - step; // high: too many clusters; low: at most the cap
        AffinityPropagationResult? best = null;
        double bestPreference = low;
        for (int d = 0; d < MaxDoublings && best is null; d++, step *= 2, low = preference - step)
        {
            var r = clusterAt(low);
            tries++;
            if (r.ClusterCount <= maxClusters) (best, bestPreference) = (r, low);
            else high = low;
        }
        if (best is null)
            throw new InvalidOperationException($"No preference down to {low + step / 2:G4} gives at most {maxClusters} clusters (affinity propagation did not settle).");

        for (int b = 0; b < BisectionSteps && best.ClusterCount < maxClusters; b++)
        {
            double mid = 0.5 * (low + high);
            var r = clusterAt(mid);
            tries++;
            if (r.ClusterCount > maxClusters) { high = mid; continue; }
            low = mid;
            if (r.ClusterCount >= best.ClusterCount) (best, bestPreference) = (r, mid);
        }
        return new Outcome(best, bestPreference, tries);
    }
}
