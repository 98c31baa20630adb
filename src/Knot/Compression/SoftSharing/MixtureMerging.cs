namespace Knot.Compression.SoftSharing;

/// <summary>
/// Post-processing of a trained mixture before quantisation (METHODS.md §2): components that describe the same
/// Gaussian are merged, and components at zero are folded into the zero component.
/// </summary>
public static class MixtureMerging
{
    /// <summary>The SWS tutorial's merge threshold on the KL divergence.</summary>
    public const double TutorialKlThreshold = 1e-10;

    /// <summary>
    /// KL(p ‖ q) between two 1-D Gaussians: ½ log(λ_p/λ_q) + (λ_q/2)(1/λ_p + (μ_p − μ_q)²) − ½. Asymmetric; 0 iff
    /// p = q.
    /// </summary>
    public static double KlDivergence(MixtureComponent p, MixtureComponent q) =>
        0.5 * Math.Log(p.Precision / q.Precision) + 0.5 * q.Precision * (1 / p.Precision + (p.Mean - q.Mean) * (p.Mean - q.Mean)) - 0.5;

    /// <summary>
    /// Merges components. Components a and b join one group when KL(a ‖ b) or KL(b ‖ a) is below
    /// <paramref name="klThreshold"/> (as the tutorial does, comparing both orders), groups close transitively, and
    /// a learned component with |μ| ≤ <paramref name="zeroTolerance"/> joins the zero component's group. Each
    /// group becomes one component: π = Σ π, mean = π-weighted mean of the means, variance = π-weighted mean of the
    /// variances. The group holding component 0 keeps mean exactly 0 (it <i>is</i> the zero component: this is
    /// the "snap the mean nearest 0 to 0" step, since μ0 is fixed at 0 and anything merged into it moves there).
    /// </summary>
    /// <param name="components">Index 0 must be the zero component (mean 0), as from
    /// <see cref="GaussianMixturePrior.GetComponents"/>.</param>
    /// <returns>The merged mixture: index 0 the zero component, then the other groups ordered by their smallest
    /// original index. Total π is preserved.</returns>
    public static MixtureComponent[] Merge(ReadOnlySpan<MixtureComponent> components, double klThreshold, double zeroTolerance = 0)
    {
        if (components.IsEmpty) throw new ArgumentException("components is empty; expected at least the zero component.", nameof(components));
        if (components[0].Mean != 0)
            throw new ArgumentException($"components[0] must be the zero component with mean 0, got mean {components[0].Mean}.", nameof(components));
        if (double.IsNaN(klThreshold) || klThreshold < 0)
            throw new ArgumentException($"klThreshold must be >= 0, got {klThreshold}.", nameof(klThreshold));
        if (double.IsNaN(zeroTolerance) || zeroTolerance < 0)
            throw new ArgumentException($"zeroTolerance must be >= 0, got {zeroTolerance}.", nameof(zeroTolerance));
        for (int k = 0; k < components.Length; k++)
        {
            var c = components[k];
            if (!double.IsFinite(c.Mean) || !(c.Precision > 0) || !double.IsFinite(c.Precision) || !(c.Mixing >= 0) || !double.IsFinite(c.Mixing))
                throw new ArgumentException($"components[{k}] = {c} must have a finite mean, a finite precision > 0 and a finite mixing >= 0.", nameof(components));
        }

        int n = components.Length;
        var parent = new int[n];
        for (int k = 0; k < n; k++) parent[k] = k;

        for (int a = 1; a < n; a++)
        {
            if (Math.Abs(components[a].Mean) <= zeroTolerance) Union(parent, 0, a);
        }

        for (int a = 0; a < n; a++)
        {
            for (int b = a + 1; b < n; b++)
            {
                if (KlDivergence(components[a], components[b]) < klThreshold || KlDivergence(components[b], components[a]) < klThreshold)
                    Union(parent, a, b);
            }
        }

        // Group roots are the smallest index of each group (Union keeps the smaller root), so 0's group comes first.
        var result = new List<MixtureComponent>(n);
        for (int root = 0; root < n; root++)
        {
            if (Find(parent, root) != root) continue;
            double pi = 0, mean = 0, variance = 0, equal = 0, meanEq = 0, varEq = 0;
            for (int k = 0; k < n; k++)
            {
                if (Find(parent, k) != root) continue;
                var c = components[k];
                pi += c.Mixing;
                mean += c.Mixing * c.Mean;
                variance += c.Mixing * c.Variance;
                equal += 1;
                meanEq += c.Mean;
                varEq += c.Variance;
            }

            // All-zero π in a group: fall back to plain averages rather than 0/0.
            double m = pi > 0 ? mean / pi : meanEq / equal;
            double v = pi > 0 ? variance / pi : varEq / equal;
            result.Add(new MixtureComponent(root == 0 ? 0 : m, 1 / v, pi));
        }

        return [.. result];
    }

    private static int Find(int[] parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }

        return x;
    }

    private static void Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return;
        if (ra < rb) parent[rb] = ra;
        else parent[ra] = rb;
    }
}
