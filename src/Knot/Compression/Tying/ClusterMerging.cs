namespace Knot.Compression.Tying;

/// <summary>
/// Merges clusters by average linkage on a similarity matrix until at most a given number remain: the fallback of a
/// cluster cap when affinity propagation cannot reach it at any preference (below some preference no exemplar
/// emerges at all, and the window of preferences that gives few clusters can be narrower than float steps).
/// </summary>
public static class ClusterMerging
{
    /// <summary>
    /// Repeatedly joins the two clusters with the highest mean pairwise similarity (ties: the lowest cluster ids),
    /// starting from <paramref name="result"/>'s clusters. Deterministic. O(m³) for m starting clusters.
    /// </summary>
    /// <returns>At most <paramref name="maxClusters"/> clusters, each labelled by the rank of its smallest member and
    /// "exemplified" by that member (the result is not an affinity-propagation fixed point; it is marked converged
    /// because every point has a real cluster).</returns>
    public static AffinityPropagationResult AverageLinkage(ReadOnlySpan<double> similarity, int n, AffinityPropagationResult result, int maxClusters)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (maxClusters < 1) throw new ArgumentOutOfRangeException(nameof(maxClusters), maxClusters, "The cluster cap must be >= 1.");
        if (similarity.Length != (long)n * n) throw new ArgumentException($"Expected an {n}×{n} similarity matrix, got {similarity.Length} values.", nameof(similarity));
        if (result.Labels.Length != n) throw new ArgumentException($"Expected {n} labels, got {result.Labels.Length}.", nameof(result));

        // Dense cluster ids 0..m−1 in order of first appearance.
        var start = new Dictionary<int, int>();
        var cluster = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (!start.TryGetValue(result.Labels[i], out int c)) start[result.Labels[i]] = c = start.Count;
            cluster[i] = c;
        }
        int m = start.Count;
        var size = new long[m];
        var linkSum = new double[(long)m * m]; // Σ of s(i, j) + s(j, i) over i in a, j in b (a ≠ b)
        for (int i = 0; i < n; i++)
        {
            size[cluster[i]]++;
            for (int j = 0; j < n; j++)
                if (cluster[i] != cluster[j]) linkSum[(long)cluster[i] * m + cluster[j]] += similarity[i * n + j];
        }
        var alive = new bool[m];
        Array.Fill(alive, true);
        var parent = Enumerable.Range(0, m).ToArray();
        for (int remaining = m; remaining > maxClusters; remaining--)
        {
            int bestA = -1, bestB = -1;
            double best = double.NegativeInfinity;
            for (int a = 0; a < m; a++)
            {
                if (!alive[a]) continue;
                for (int b = a + 1; b < m; b++)
                {
                    if (!alive[b]) continue;
                    double link = (linkSum[(long)a * m + b] + linkSum[(long)b * m + a]) / (2.0 * size[a] * size[b]);
                    if (link > best) (best, bestA, bestB) = (link, a, b);
                }
            }
            for (int c = 0; c < m; c++)
            {
                if (!alive[c] || c == bestA || c == bestB) continue;
                linkSum[(long)bestA * m + c] += linkSum[(long)bestB * m + c];
                linkSum[(long)c * m + bestA] += linkSum[(long)c * m + bestB];
            }
            size[bestA] += size[bestB];
            alive[bestB] = false;
            parent[bestB] = bestA;
        }

        int Root(int c) { while (parent[c] != c) c = parent[c]; return c; }
        var labelOfRoot = new Dictionary<int, int>();
        var labels = new int[n];
        var exemplars = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int root = Root(cluster[i]);
            if (!labelOfRoot.TryGetValue(root, out int label))
            {
                labelOfRoot[root] = label = labelOfRoot.Count;
                exemplars.Add(i);
            }
            labels[i] = label;
        }
        return new AffinityPropagationResult([.. exemplars], labels, result.Iterations, Converged: true);
    }
}
