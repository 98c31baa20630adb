using Knot.Compression.Proximal;

namespace Knot.Compression.Tying;

/// <summary>
/// Stage 2 of GrOWL for one layer (METHODS.md §1.4): the live groups (not dead, non-zero norm) are clustered by
/// affinity propagation on the GrOWL similarity, or by a relative-distance tolerance; the result is a <see cref="TieMap"/>.
/// </summary>
public static class GroupTying
{
    /// <param name="dead">Optional dead mask (e.g. the prox's DeadGroups); groups with zero norm are dead regardless.</param>
    public static TieMap ByAffinityPropagation(ReadOnlySpan<float> weights, GroupLayout layout, AffinityPropagationOptions? options = null, ReadOnlySpan<bool> dead = default)
    {
        var groups = LiveGroups(weights, layout, dead);
        var s = GroupSimilarity.Matrix(groups);
        var result = AffinityPropagation.Cluster(s, groups.Count, options);
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
