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
    public static TieMap ByAffinityPropagation(ReadOnlySpan<float> weights, GroupLayout layout, AffinityPropagationOptions? options = null, ReadOnlySpan<bool> dead = default)
    {
        var groups = LiveGroups(weights, layout, dead);
        var s = GroupSimilarity.Matrix(groups);
        options ??= new AffinityPropagationOptions();
        var result = AffinityPropagation.Cluster(s, groups.Count, options);
        if (!result.Converged && groups.Count > 1)
        {
            var retry = options with { Damping = Math.Max(options.Damping, RetryDamping), MaxIterations = Math.Max(options.MaxIterations, RetryIterations) };
            result = AffinityPropagation.Cluster(s, groups.Count, retry);
        }
        return TieMap.FromClusters(layout, groups.Groups, result.Labels);
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
