namespace Knot.Compression.Pruning;

/// <summary>
/// Magnitude pruning (Han et al. 2015, Deep Compression §3.1). Masks are <c>bool</c> spans, true = keep. Masks are
/// applied to weights after every optimizer step (and may be applied to gradients) so pruned weights stay exactly zero.
/// </summary>
public static class MagnitudePruning
{
    /// <summary>quality × standard deviation (population, over all given weights): the per-layer pruning threshold.</summary>
    public static float QualityThreshold(ReadOnlySpan<float> weights, double quality)
    {
        if (!double.IsFinite(quality) || quality < 0) throw new ArgumentOutOfRangeException(nameof(quality), quality, "Quality must be finite and >= 0.");
        if (weights.IsEmpty) return 0f;
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!float.IsFinite(weights[i])) throw new ArgumentException($"Weight {i} is {weights[i]}.", nameof(weights));
            sum += weights[i];
        }
        double mean = sum / weights.Length, ss = 0;
        foreach (var w in weights) ss += (w - mean) * (w - mean);
        return (float)(quality * Math.Sqrt(ss / weights.Length));
    }

    /// <summary>keep[i] = |w_i| ≥ threshold (Deep Compression removes |w| &lt; threshold). Returns the number kept.</summary>
    public static int MaskByThreshold(ReadOnlySpan<float> weights, float threshold, Span<bool> keep)
    {
        CheckLengths(weights.Length, keep.Length);
        if (!float.IsFinite(threshold) || threshold < 0) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "Threshold must be finite and >= 0.");
        int kept = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (float.IsNaN(weights[i])) throw new ArgumentException($"Weight {i} is NaN.", nameof(weights));
            keep[i] = MathF.Abs(weights[i]) >= threshold;
            if (keep[i]) kept++;
        }
        return kept;
    }

    /// <summary>Per-layer rule of Deep Compression: keep |w| ≥ quality × std(layer). Returns the number kept.</summary>
    public static int MaskByQuality(ReadOnlySpan<float> weights, double quality, Span<bool> keep)
        => MaskByThreshold(weights, QualityThreshold(weights, quality), keep);

    /// <summary>
    /// Prunes exactly round(sparsity × n) weights, the smallest in magnitude (ties: lower index pruned first), so the
    /// target is met even when many weights share a magnitude (e.g. exact zeros). Returns the number kept.
    /// </summary>
    public static int MaskBySparsity(ReadOnlySpan<float> weights, double sparsity, Span<bool> keep)
    {
        CheckLengths(weights.Length, keep.Length);
        if (!(sparsity >= 0 && sparsity <= 1)) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "Sparsity must be in [0, 1].");
        int n = weights.Length;
        int prune = (int)Math.Round(sparsity * n, MidpointRounding.AwayFromZero);
        // Sort keys (|w| bits, index): IEEE bits of non-negative floats order like the floats, and the index in the
        // low half breaks ties deterministically — one primitive sort, no comparison delegate.
        var keys = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            if (float.IsNaN(weights[i])) throw new ArgumentException($"Weight {i} is NaN.", nameof(weights));
            keys[i] = ((ulong)BitConverter.SingleToUInt32Bits(MathF.Abs(weights[i])) << 32) | (uint)i;
        }
        Array.Sort(keys);
        keep.Fill(true);
        for (int r = 0; r < prune; r++) keep[(int)(uint)keys[r]] = false;
        return n - prune;
    }

    /// <summary>Zeroes every value whose mask entry is false (weights after a step, or their gradients).</summary>
    public static void ApplyMask(Span<float> values, ReadOnlySpan<bool> keep)
    {
        CheckLengths(values.Length, keep.Length);
        for (int i = 0; i < values.Length; i++) if (!keep[i]) values[i] = 0f;
    }

    public static int CountKept(ReadOnlySpan<bool> keep)
    {
        int kept = 0;
        foreach (var k in keep) if (k) kept++;
        return kept;
    }

    /// <summary>keep[i] &amp;= other[i] — combines an earlier round's mask with a new one (iterative pruning).</summary>
    public static void Intersect(Span<bool> keep, ReadOnlySpan<bool> other)
    {
        CheckLengths(keep.Length, other.Length);
        for (int i = 0; i < keep.Length; i++) keep[i] &= other[i];
    }

    private static void CheckLengths(int values, int mask)
    {
        if (values != mask) throw new ArgumentException($"Mask has {mask} entries but there are {values} values.");
    }
}
