namespace Knot.Compression.Quantization;

/// <summary>Result of <see cref="KMeans1D.Fit"/>: sorted centroids and, per input value, its centroid index.</summary>
public sealed record KMeansResult(float[] Codebook, int[] Assignments, int Iterations, bool Converged);

/// <summary>
/// Exact Lloyd iterations for scalars (Deep Compression's trained quantization). In one dimension the nearest-centroid
/// regions of sorted centroids are intervals split at the midpoints, so assignment is one sweep over the values sorted
/// once up front — O(n) per iteration, no distance matrix, and fully deterministic.
/// </summary>
public static class KMeans1D
{
    /// <summary>
    /// Clusters <paramref name="values"/> into <paramref name="k"/> centroids initialised linearly over [min, max]
    /// (Deep Compression's "linear initialisation"). A value exactly on a midpoint goes to the lower centroid; a
    /// centroid that loses all its members keeps its position. Stops when no assignment changes.
    /// </summary>
    public static KMeansResult Fit(ReadOnlySpan<float> values, int k, int maxIterations = 100)
    {
        if (values.IsEmpty) throw new ArgumentException("k-means needs at least one value.", nameof(values));
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "Need at least one centroid.");
        if (maxIterations < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "Need at least one iteration.");
        int n = values.Length;
        var sorted = values.ToArray();
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(sorted[i])) throw new ArgumentException($"Value {i} is {sorted[i]}; k-means needs finite values.", nameof(values));
            order[i] = i;
        }
        // Equal keys may land in either order, but equal values always get the same cluster, so results are deterministic.
        Array.Sort(sorted, order);

        double min = sorted[0], max = sorted[n - 1];
        var centroids = new double[k];
        for (int j = 0; j < k; j++) centroids[j] = k == 1 ? 0.5 * (min + max) : min + (max - min) * j / (k - 1);

        // clusterEnd[j] = one past the last sorted index assigned to centroid j (clusters are contiguous runs).
        var clusterEnd = new int[k];
        var previousEnd = new int[k];
        Array.Fill(previousEnd, -1);
        int iterations = 0;
        bool converged = false;
        while (iterations < maxIterations)
        {
            iterations++;
            Assign(sorted, centroids, clusterEnd);
            if (clusterEnd.AsSpan().SequenceEqual(previousEnd)) { converged = true; break; }
            clusterEnd.CopyTo(previousEnd, 0);
            int start = 0;
            for (int j = 0; j < k; j++)
            {
                int end = clusterEnd[j];
                if (end > start)
                {
                    double sum = 0;
                    for (int i = start; i < end; i++) sum += sorted[i];
                    centroids[j] = sum / (end - start);
                }
                start = end;
            }
            // Means of contiguous runs are already ordered; an emptied centroid that kept its old place may not be.
            Array.Sort(centroids);
        }
        if (!converged) Assign(sorted, centroids, clusterEnd);

        var codebook = new float[k];
        for (int j = 0; j < k; j++) codebook[j] = (float)centroids[j];
        var assignments = new int[n];
        int s = 0;
        for (int j = 0; j < k; j++)
        {
            for (; s < clusterEnd[j]; s++) assignments[order[s]] = j;
        }
        return new KMeansResult(codebook, assignments, iterations, converged);
    }

    private static void Assign(float[] sorted, double[] centroids, int[] clusterEnd)
    {
        int k = centroids.Length;
        int i = 0;
        for (int j = 0; j < k - 1; j++)
        {
            double boundary = 0.5 * (centroids[j] + centroids[j + 1]);
            while (i < sorted.Length && sorted[i] <= boundary) i++;
            clusterEnd[j] = i;
        }
        clusterEnd[k - 1] = sorted.Length;
    }
}
