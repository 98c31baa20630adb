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
/// (it reports every point as its own cluster). Far below the useful range AP stops settling — no convergence, or
/// every point its own exemplar once the availabilities run away (seen on 784 near-random groups from −63 down); when
/// the doubling runs into that zone after a converged run with too many clusters, the preferences between the two are
/// bisected.
/// If no preference tried gives at most the cap, the converged result with the fewest clusters (or the first) is
/// merged down to the cap by the caller's <c>mergeDown</c> (<see cref="ClusterMerging"/>), so a cap always holds.
/// </remarks>
public static class PreferenceSearch
{
    public const int MaxDoublings = 40;
    public const int BisectionSteps = 30;

    /// <summary>Unsettled runs in a row, after a converged one, that end the doubling.</summary>
    public const int UnsettledToStop = 3;

    /// <param name="Merged">The result is <c>mergeDown</c>'s, from the AP result at <paramref name="Preference"/>.</param>
    public sealed record Outcome(AffinityPropagationResult Result, double Preference, int Tries, bool Merged = false);

    /// <param name="clusterAt">Runs AP at a preference (the caller keeps the similarity matrix and any retry policy).</param>
    /// <param name="mergeDown">Merges a result with too many clusters down to the cap; null: a cap no preference meets is an error.</param>
    public static Outcome AtMost(int maxClusters, double preference, Func<double, AffinityPropagationResult> clusterAt,
        Func<AffinityPropagationResult, AffinityPropagationResult>? mergeDown = null)
    {
        ArgumentNullException.ThrowIfNull(clusterAt);
        if (maxClusters < 1) throw new ArgumentOutOfRangeException(nameof(maxClusters), maxClusters, "The cluster cap must be >= 1.");
        if (!double.IsFinite(preference)) throw new ArgumentOutOfRangeException(nameof(preference), preference, "The preference must be finite.");
        int tries = 1;
        var first = clusterAt(preference);
        if (first.ClusterCount <= maxClusters) return new Outcome(first, preference, tries);

        double high = preference, step = 1, low = preference - step; // high: too many clusters; low: at most the cap
        AffinityPropagationResult? best = null, fewest = first.Converged ? first : null;
        double bestPreference = low, fewestPreference = preference, settledHigh = preference;
        double? unsettled = null; // the highest preference below settledHigh where AP stopped settling
        int unsettledInARow = 0;
        // AP has stopped settling: no convergence, or — far below the useful range, where the availabilities run away —
        // every point its own exemplar although a higher preference gave fewer clusters.
        bool Unsettled(AffinityPropagationResult r) =>
            !r.Converged || (fewest is not null && r.ClusterCount == r.Labels.Length && r.ClusterCount > fewest.ClusterCount);
        for (int d = 0; d < MaxDoublings && best is null; d++, step *= 2, low = preference - step)
        {
            var r = clusterAt(low);
            tries++;
            // On success the loop's step still runs, so `low` ends one doubling below the preference found and the
            // bisection below starts from there. Kept as it is: the documented cluster-cap results depend on the exact
            // sequence of preferences tried.
            if (r.ClusterCount <= maxClusters) { (best, bestPreference) = (r, low); continue; }
            high = low;
            if (!Unsettled(r))
            {
                (settledHigh, unsettled, unsettledInARow) = (low, null, 0);
                if (fewest is null || r.ClusterCount < fewest.ClusterCount) (fewest, fewestPreference) = (r, low);
                continue;
            }
            unsettled ??= low;
            if (fewest is not null && ++unsettledInARow >= UnsettledToStop) break;
        }
        if (best is null && fewest is not null && unsettled is double bottom)
        {
            // The cap lies, if anywhere, between the last settled preference and the zone where AP stopped settling.
            high = settledHigh;
            for (int b = 0; b < BisectionSteps && best is null; b++)
            {
                double mid = 0.5 * (bottom + high);
                var r = clusterAt(mid);
                tries++;
                if (r.ClusterCount <= maxClusters) (best, bestPreference, low) = (r, mid, mid);
                else if (Unsettled(r)) bottom = mid;
                else
                {
                    high = mid;
                    if (r.ClusterCount < fewest.ClusterCount) (fewest, fewestPreference) = (r, mid);
                }
            }
        }
        if (best is null)
        {
            if (mergeDown is null)
                throw new InvalidOperationException($"No preference down to {low + step / 2:G4} gives at most {maxClusters} clusters (affinity propagation did not settle).");
            var merged = mergeDown(fewest ?? first);
            if (merged.ClusterCount > maxClusters)
                throw new InvalidOperationException($"Merging left {merged.ClusterCount} clusters, more than the cap {maxClusters}.");
            return new Outcome(merged, fewest is null ? preference : fewestPreference, tries, Merged: true);
        }

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
