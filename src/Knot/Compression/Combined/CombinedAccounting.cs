using Knot.Compression.Accounting;

namespace Knot.Compression.Combined;

/// <summary>
/// The papers' storage accounting (Deep Compression §3.3, as SWS reports it) of a GrOWL + soft weight-sharing model:
/// each finalized (smaller) layer is stored as pruned-and-quantized entries on the shared codebook, and its ratio is
/// taken against the <i>original</i> layer's dense 32-bit size, so removed units and merged tied inputs count as
/// saved. The GroupSum maps (which input goes to which shared column) are not counted, as neither paper stores any.
/// </summary>
public static class CombinedAccounting
{
    /// <param name="names">Layer (tensor) names.</param>
    /// <param name="stored">Per layer the finalized tensor's values, each 0 or a codebook value.</param>
    /// <param name="originalWeights">Per layer the weight count of the original dense layer.</param>
    /// <param name="codebook">The shared codebook, 0 first (K counts it, as for plain SWS).</param>
    /// <param name="indexBits">Relative-index bits.</param>
    public static (ModelStorage Pq, ModelStorage PqHuffman) Paper(IReadOnlyList<string> names, IReadOnlyList<float[]> stored,
        IReadOnlyList<long> originalWeights, float[] codebook, int indexBits)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(originalWeights);
        ArgumentNullException.ThrowIfNull(codebook);
        if (stored.Count != names.Count || originalWeights.Count != names.Count)
            throw new ArgumentException($"Expected one stored tensor and one original size per name ({names.Count}), got {stored.Count} and {originalWeights.Count}.");
        int k = codebook.Length;
        if (k == 0 || codebook[0] != 0f) throw new ArgumentException("The codebook must start with 0.", nameof(codebook));
        var code = new Dictionary<float, int>();
        for (int c = 0; c < k; c++) code.TryAdd(codebook[c], c);
        int weightBits = Math.Max(1, (int)Math.Ceiling(Math.Log2(k)));
        var pq = new List<LayerStorage>();
        var pqh = new List<LayerStorage>();
        for (int t = 0; t < names.Count; t++)
        {
            var w = stored[t];
            if (originalWeights[t] < w.Length)
                throw new ArgumentException($"Layer '{names[t]}': the original layer ({originalWeights[t]} weights) cannot be smaller than the stored one ({w.Length}).");
            var codes = new int[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                if (w[i] == 0f) { codes[i] = -1; continue; }
                if (!code.TryGetValue(w[i], out codes[i]))
                    throw new ArgumentException($"Layer '{names[t]}': weight {i} = {w[i]} is not a codebook value.", nameof(stored));
            }
            // Entries are counted on the stored layer; only the dense reference is the original layer's.
            pq.Add(DeepCompressionAccounting.FromWeights(names[t], w, weightBits, indexBits, k) with { Weights = originalWeights[t] });
            pqh.Add(DeepCompressionAccounting.PrunedQuantizedHuffman(names[t], codes, k, indexBits) with { Weights = originalWeights[t] });
        }
        return (new ModelStorage(pq), new ModelStorage(pqh));
    }
}
