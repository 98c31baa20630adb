namespace Knot.Compression.SoftSharing;

/// <summary>
/// Turns a (merged) mixture into a codebook: every weight becomes the mean of the component with the largest
/// responsibility (<see cref="ComponentAssignment.MaximumAPosteriori"/>) or likelihood
/// (<see cref="ComponentAssignment.MaximumLikelihood"/>). Component 0 is the zero component and yields exactly 0.
/// </summary>
public static class SoftSharingQuantizer
{
    /// <summary>Index of the component that <paramref name="weight"/> is assigned to (ties go to the lower index).</summary>
    public static int Assign(ReadOnlySpan<MixtureComponent> components, float weight, ComponentAssignment rule)
    {
        Validate(components);
        if (!float.IsFinite(weight)) throw new ArgumentException($"weight is {weight}; expected a finite value.", nameof(weight));
        Span<double> offsets = components.Length <= 256 ? stackalloc double[components.Length] : new double[components.Length];
        PrepareOffsets(components, rule, offsets);
        return AssignPrepared(components, offsets, weight);
    }

    /// <summary>Snaps one tensor; see <see cref="Quantize(IReadOnlyList{float[]}, ReadOnlySpan{MixtureComponent}, ComponentAssignment)"/>.</summary>
    public static SoftSharingQuantization Quantize(float[] weights, ReadOnlySpan<MixtureComponent> components, ComponentAssignment rule) =>
        Quantize([weights], components, rule);

    /// <summary>
    /// Snaps all tensors to one shared codebook. The inputs are not modified. <paramref name="components"/> must
    /// have the zero component (mean 0) at index 0, as <see cref="MixtureMerging.Merge"/> and
    /// <see cref="GaussianMixturePrior.GetComponents"/> produce. Components whose means round to the same float
    /// share one codebook entry; components no weight picks are left out of the codebook (except 0).
    /// </summary>
    public static SoftSharingQuantization Quantize(IReadOnlyList<float[]> tensors, ReadOnlySpan<MixtureComponent> components, ComponentAssignment rule)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Validate(components);
        int k = components.Length;
        var offsets = new double[k];
        PrepareOffsets(components, rule, offsets);

        var indices = new int[tensors.Count][];
        var used = new bool[k];
        for (int t = 0; t < tensors.Count; t++)
        {
            var w = tensors[t] ?? throw new ArgumentException($"tensors[{t}] is null.", nameof(tensors));
            var idx = new int[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                if (!float.IsFinite(w[i])) throw new ArgumentException($"tensors[{t}][{i}] is {w[i]}; weights must be finite.", nameof(tensors));
                int c = AssignPrepared(components, offsets, w[i]);
                idx[i] = c;
                used[c] = true;
            }

            indices[t] = idx;
        }

        // Codebook: 0 first, then the distinct float values of the used non-zero means, ascending.
        var values = new SortedSet<float>();
        for (int c = 1; c < k; c++)
        {
            float v = (float)components[c].Mean;
            if (used[c] && v != 0) values.Add(v);
        }

        var codebook = new float[values.Count + 1];
        values.CopyTo(codebook, 1);
        var componentToCode = new int[k];
        for (int c = 1; c < k; c++)
        {
            float v = (float)components[c].Mean;
            componentToCode[c] = v == 0 ? 0 : Array.BinarySearch(codebook, 1, values.Count, v);
        }

        var weights = new float[tensors.Count][];
        var codeUsed = new bool[codebook.Length];
        long nonZero = 0, total = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var idx = indices[t];
            var snapped = new float[idx.Length];
            for (int i = 0; i < idx.Length; i++)
            {
                int code = componentToCode[idx[i]];
                idx[i] = code;
                snapped[i] = codebook[code];
                codeUsed[code] = true;
                if (code != 0) nonZero++;
            }

            total += idx.Length;
            weights[t] = snapped;
        }

        int distinct = 0;
        foreach (bool u in codeUsed) if (u) distinct++;
        return new SoftSharingQuantization(codebook, indices, weights, nonZero, total, distinct);
    }

    private static void Validate(ReadOnlySpan<MixtureComponent> components)
    {
        if (components.IsEmpty) throw new ArgumentException("components is empty; expected at least the zero component.", nameof(components));
        if (components[0].Mean != 0)
            throw new ArgumentException($"components[0] must be the zero component with mean 0, got mean {components[0].Mean}.", nameof(components));
        for (int c = 0; c < components.Length; c++)
        {
            var m = components[c];
            if (!double.IsFinite(m.Mean) || !(m.Precision > 0) || !double.IsFinite(m.Precision) || !(m.Mixing >= 0))
                throw new ArgumentException($"components[{c}] = {m} must have a finite mean, a finite precision > 0 and a mixing >= 0.", nameof(components));
        }
    }

    /// <summary>Per-component part of the log score that does not depend on w: [log π_j] + ½ log λ_j.</summary>
    private static void PrepareOffsets(ReadOnlySpan<MixtureComponent> components, ComponentAssignment rule, Span<double> offsets)
    {
        if (rule is not (ComponentAssignment.MaximumAPosteriori or ComponentAssignment.MaximumLikelihood))
            throw new ArgumentException($"Unknown assignment rule {rule}.", nameof(rule));
        for (int c = 0; c < components.Length; c++)
        {
            offsets[c] = 0.5 * Math.Log(components[c].Precision);
            if (rule == ComponentAssignment.MaximumAPosteriori) offsets[c] += Math.Log(components[c].Mixing);
        }
    }

    private static int AssignPrepared(ReadOnlySpan<MixtureComponent> components, ReadOnlySpan<double> offsets, float weight)
    {
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < components.Length; c++)
        {
            double d = weight - components[c].Mean;
            double score = offsets[c] - 0.5 * components[c].Precision * d * d;
            if (score > bestScore)
            {
                bestScore = score;
                best = c;
            }
        }

        return best;
    }
}
