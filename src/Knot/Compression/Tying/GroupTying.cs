using Knot.Compression.Proximal;

namespace Knot.Compression.Tying;

/// <summary>
/// Stage 2 of GrOWL for one layer (METHODS.md §1.4): the live groups (not dead, non-zero norm) are clustered by
/// affinity propagation on the GrOWL similarity, or by a relative-distance tolerance; the result is a <see cref="TieMap"/>.
/// </summary>
public static class GroupTying
{
    /// <summary>Damping and iteration budget of the second try when affinity propagation does not settle.</summary>
    public const double RetryDamping = 0.9;
    public const int RetryIterations = 1000;

    /// <param name="dead">Optional dead mask (e.g. the prox's DeadGroups); groups with zero norm are dead regardless.</param>
    /// <remarks>
    /// When the messages oscillate and the exemplar set never settles within the iterations, AP returns every group as
    /// its own cluster (no ties). On growl-mnist that happened to 3 of the 12 regularized runs of the six-row table at
    /// the paper's damping 0.5 and 200 iterations, so a second try runs with damping 0.9 and 1000 iterations (scikit-learn's
    /// advice for oscillation); only if that fails too are no ties reported.
    /// </remarks>
    public static TieMap ByAffinityPropagation(ReadOnlySpan<float> weights, GroupLayout layout, AffinityPropagationOptions? options = null, ReadOnlySpan<bool> dead = default) =>
        ByAffinityPropagation(weights, layout, options, maxClusters: 0, dead).Map;

    /// <param name="maxClusters">If &gt; 0 and the preference gives more clusters than this, the preference is lowered
    /// until it gives at most this many (<see cref="PreferenceSearch"/>); the preference used is returned, and Merged
    /// says that no preference reached the cap and the clusters of the one returned were merged down to it
    /// (<see cref="ClusterMerging"/>).</param>
    public static (TieMap Map, double Preference, bool Merged) ByAffinityPropagation(ReadOnlySpan<float> weights, GroupLayout layout, AffinityPropagationOptions? options,
        int maxClusters, ReadOnlySpan<bool> dead = default)
    {
        if (maxClusters < 0) throw new ArgumentOutOfRangeException(nameof(maxClusters), maxClusters, "The cluster cap must be >= 0 (0: none).");
        var groups = LiveGroups(weights, layout, dead);
        var s = GroupSimilarity.Matrix(groups);
        var o = options ?? new AffinityPropagationOptions();
        AffinityPropagationResult At(double preference)
        {
            var at = o with { Preference = preference };
            var result = AffinityPropagation.Cluster(s, groups.Count, at);
            if (!result.Converged && groups.Count > 1)
                result = AffinityPropagation.Cluster(s, groups.Count, at with { Damping = Math.Max(at.Damping, RetryDamping), MaxIterations = Math.Max(at.MaxIterations, RetryIterations) });
            return result;
        }
        if (maxClusters > 0 && groups.Count > 0)
        {
            var found = PreferenceSearch.AtMost(maxClusters, o.Preference, At, r => ClusterMerging.AverageLinkage(s, groups.Count, r, maxClusters));
            return (TieMap.FromClusters(layout, groups.Groups, found.Result.Labels), found.Preference, found.Merged);
        }
        return (TieMap.FromClusters(layout, groups.Groups, At(o.Preference).Labels), o.Preference, false);
    }

    /// <summary>Ties live groups whose relative distance to their cluster's leader is ≤ tolerance (see <see cref="ToleranceClustering"/>).</summary>
    public static TieMap ByTolerance(ReadOnlySpan<float> weights, GroupLayout layout, double tolerance, ReadOnlySpan<bool> dead = default)
    {
        var groups = LiveGroups(weights, layout, dead);
        return TieMap.FromClusters(layout, groups.Groups, ToleranceClustering.Cluster(groups, tolerance));
    }

    /// <summary>The non-dead groups with a non-zero norm, as contiguous vectors.</summary>
    public static GroupVectors LiveGroups(ReadOnlySpan<float> weights, GroupLayout layout, ReadOnlySpan<bool> dead = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckLength(weights.Length, nameof(weights));
        if (!dead.IsEmpty && dead.Length != layout.GroupCount)
            throw new ArgumentException($"Expected one dead flag per group ({layout.GroupCount}), got {dead.Length}.", nameof(dead));
        var norms = new float[layout.GroupCount];
        layout.SquaredNorms(weights, norms);
        var live = new List<int>(layout.GroupCount);
        for (int j = 0; j < norms.Length; j++)
        {
            if (!float.IsFinite(norms[j]))
                throw new ArgumentException($"Group {j} of {layout} contains NaN or Inf (squared norm {norms[j]}).", nameof(weights));
            if ((dead.IsEmpty || !dead[j]) && norms[j] > 0) live.Add(j);
        }
        return new GroupVectors(weights, layout, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(live));
    }
}
