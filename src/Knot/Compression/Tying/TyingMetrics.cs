namespace Knot.Compression.Tying;

/// <summary>
/// Per-layer GrOWL numbers as the paper reports them (METHODS.md §1.5): sparsity = share of zero groups; parameter
/// sharing = non-zero groups / clusters; compression = groups / clusters (= weights / unique weights of the layer).
/// With every group dead there are no clusters: sharing is reported as 1 (nothing shared) and compression as +∞.
/// </summary>
public readonly record struct TyingMetrics(int Groups, int ZeroGroups, int Clusters)
{
    public int NonZeroGroups => Groups - ZeroGroups;
    /// <summary>Fraction in [0, 1] (multiply by 100 for the paper's %).</summary>
    public double Sparsity => Groups == 0 ? 0 : (double)ZeroGroups / Groups;
    public double ParameterSharing => Clusters == 0 ? 1 : (double)NonZeroGroups / Clusters;
    public double Compression => Clusters == 0 ? double.PositiveInfinity : (double)Groups / Clusters;
}
