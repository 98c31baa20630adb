namespace Knot.Compression.Tying;

/// <summary>
/// A simple, deterministic alternative to affinity propagation: groups whose relative distance
/// ‖g_i − g_j‖ / max(‖g_i‖, ‖g_j‖) is ≤ tolerance are tied. Greedy in index order: the first unassigned group opens a
/// cluster (its leader) and takes every later unassigned group within tolerance of the leader. Tolerance 0 ties only
/// identical groups.
/// </summary>
public static class ToleranceClustering
{
    /// <summary>Cluster id (0..K−1, numbered by leader order) of every vector.</summary>
    public static int[] Cluster(GroupVectors groups, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!double.IsFinite(tolerance) || tolerance < 0)
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "Tolerance must be finite and >= 0.");
        int n = groups.Count;
        var labels = new int[n];
        Array.Fill(labels, -1);
        int clusters = 0;
        for (int leader = 0; leader < n; leader++)
        {
            if (labels[leader] >= 0) continue;
            labels[leader] = clusters;
            for (int j = leader + 1; j < n; j++)
                if (labels[j] < 0 && RelativeDistance(groups, leader, j) <= tolerance) labels[j] = clusters;
            clusters++;
        }
        return labels;
    }

    /// <summary>‖g_i − g_j‖ / max(‖g_i‖, ‖g_j‖); 0 for two zero groups.</summary>
    public static double RelativeDistance(GroupVectors groups, int i, int j)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var a = groups[i];
        var b = groups[j];
        double sq = 0;
        for (int k = 0; k < a.Length; k++)
        {
            double d = (double)a[k] - b[k];
            sq += d * d;
        }
        double scale = Math.Max(groups.SquaredNorm(i), groups.SquaredNorm(j));
        return scale > 0 ? Math.Sqrt(sq / scale) : 0;
    }
}
