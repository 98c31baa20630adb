using Knot.Compression.Proximal;

namespace Knot.Compression.Tying;

/// <summary>
/// The structure GrOWL found in one layer: for each group, -1 if it is dead (removed) or the id of the cluster of groups
/// tied to one shared vector. Keeps the structure true during retraining: <see cref="Enforce"/> sets every member to
/// its cluster's mean and dead groups to zero; <see cref="TieGradients"/> gives every member the sum of its cluster's
/// gradients (the gradient of the shared vector), so any optimiser keeps tied groups identical.
/// Both walk the weight row by row with a small per-cluster scratch; they allocate nothing.
/// </summary>
public sealed class TieMap
{
    /// <summary>Label of a dead group.</summary>
    public const int Dead = -1;

    private readonly int[] _labels;
    private readonly int[] _memberStart;   // CSR: members of cluster c are _members[_memberStart[c] .. _memberStart[c+1])
    private readonly int[] _members;
    private readonly float[] _accumulator; // ClusterCount × Inner, one row of the weight at a time

    /// <param name="labels">Per group: <see cref="Dead"/> or a cluster id in [0, K); every id below K = max + 1 must be used.</param>
    public TieMap(GroupLayout layout, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (labels.Length != layout.GroupCount)
            throw new ArgumentException($"Expected one label per group ({layout.GroupCount}), got {labels.Length}.", nameof(labels));
        int k = 0;
        for (int j = 0; j < labels.Length; j++)
        {
            if (labels[j] < Dead)
                throw new ArgumentException($"labels[{j}] = {labels[j]}: expected -1 (dead) or a cluster id >= 0.", nameof(labels));
            k = Math.Max(k, labels[j] + 1);
        }
        Layout = layout;
        _labels = labels.ToArray();
        _memberStart = new int[k + 1];
        foreach (int l in _labels) if (l >= 0) _memberStart[l + 1]++;
        for (int c = 0; c < k; c++)
        {
            if (_memberStart[c + 1] == 0)
                throw new ArgumentException($"Cluster id {c} has no members (ids must be 0..{k - 1} without gaps).", nameof(labels));
            _memberStart[c + 1] += _memberStart[c];
        }
        _members = new int[_memberStart[k]];
        var fill = _memberStart[..k];
        for (int j = 0; j < _labels.Length; j++) if (_labels[j] >= 0) _members[fill[_labels[j]]++] = j;
        ClusterCount = k;
        DeadCount = _labels.Length - _members.Length;
        _accumulator = new float[(long)k * layout.Inner];
    }

    /// <summary>No tying: every live group is its own cluster (what a GrOWL prox's dead mask alone implies).</summary>
    public static TieMap Untied(GroupLayout layout, ReadOnlySpan<bool> dead)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (dead.Length != layout.GroupCount)
            throw new ArgumentException($"Expected one dead flag per group ({layout.GroupCount}), got {dead.Length}.", nameof(dead));
        var labels = new int[dead.Length];
        int c = 0;
        for (int j = 0; j < labels.Length; j++) labels[j] = dead[j] ? Dead : c++;
        return new TieMap(layout, labels);
    }

    /// <summary>From a clustering of the live groups: liveLabels[i] is the cluster of group liveGroups[i]; all others are dead.</summary>
    public static TieMap FromClusters(GroupLayout layout, ReadOnlySpan<int> liveGroups, ReadOnlySpan<int> liveLabels)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (liveGroups.Length != liveLabels.Length)
            throw new ArgumentException($"Expected one label per live group ({liveGroups.Length}), got {liveLabels.Length}.", nameof(liveLabels));
        var labels = new int[layout.GroupCount];
        Array.Fill(labels, Dead);
        for (int i = 0; i < liveGroups.Length; i++)
        {
            int g = liveGroups[i];
            if ((uint)g >= (uint)labels.Length)
                throw new ArgumentException($"Live group index {g} is outside [0, {labels.Length}).", nameof(liveGroups));
            if (labels[g] != Dead)
                throw new ArgumentException($"Group {g} is listed twice.", nameof(liveGroups));
            if (liveLabels[i] < 0)
                throw new ArgumentException($"Live group {g} has cluster id {liveLabels[i]}; live groups need an id >= 0.", nameof(liveLabels));
            labels[g] = liveLabels[i];
        }
        return new TieMap(layout, labels);
    }

    public GroupLayout Layout { get; }
    public int GroupCount => _labels.Length;
    public int ClusterCount { get; }
    public int DeadCount { get; }
    public int LiveCount => _members.Length;
    /// <summary>Per group: <see cref="Dead"/> or the cluster id.</summary>
    public ReadOnlySpan<int> Labels => _labels;
    /// <summary>Group indices of one cluster, ascending.</summary>
    public ReadOnlySpan<int> Members(int cluster)
    {
        if ((uint)cluster >= (uint)ClusterCount)
            throw new ArgumentOutOfRangeException(nameof(cluster), cluster, $"Cluster id must be in [0, {ClusterCount}).");
        return _members.AsSpan(_memberStart[cluster], _memberStart[cluster + 1] - _memberStart[cluster]);
    }

    /// <summary>The paper's per-layer numbers for this structure (METHODS.md §1.5).</summary>
    public TyingMetrics Metrics => new(GroupCount, DeadCount, ClusterCount);

    /// <summary>
    /// Mean of each cluster's groups into <paramref name="means"/>: ClusterCount × GroupSize, cluster c's vector at
    /// c·GroupSize, element o·Inner + k (the layout of <see cref="GroupLayout.CopyGroup"/>). These are the shared
    /// vectors a finalized layer stores.
    /// </summary>
    public void ClusterMeans(ReadOnlySpan<float> weights, Span<float> means) => Gather(weights, means, average: true);

    /// <summary>
    /// Sum of each cluster's member gradients into <paramref name="shared"/> (same layout as <see cref="ClusterMeans"/>):
    /// the gradient of each shared vector, for an optimiser that holds the compact ClusterCount × GroupSize parameter.
    /// </summary>
    public void ClusterSums(ReadOnlySpan<float> gradient, Span<float> shared) => Gather(gradient, shared, average: false);

    private void Gather(ReadOnlySpan<float> source, Span<float> destination, bool average)
    {
        Layout.CheckLength(source.Length, nameof(source));
        if (destination.Length != ClusterCount * Layout.GroupSize)
            throw new ArgumentException($"Expected {ClusterCount} × {Layout.GroupSize} floats (one vector per cluster), got {destination.Length}.", nameof(destination));
        int inner = Layout.Inner, stride = Layout.RowStride, groupSize = Layout.GroupSize;
        for (int o = 0; o < Layout.Out; o++)
        {
            SumRow(source.Slice(o * stride, stride), inner);
            for (int c = 0; c < ClusterCount; c++)
            {
                int count = _memberStart[c + 1] - _memberStart[c];
                var src = _accumulator.AsSpan(c * inner, inner);
                var dst = destination.Slice(c * groupSize + o * inner, inner);
                for (int k = 0; k < inner; k++) dst[k] = average && count > 1 ? src[k] / count : src[k];
            }
        }
    }

    /// <summary>Writes each cluster's vector (layout of <see cref="ClusterMeans"/>) into all its members; dead groups → 0.</summary>
    public void Scatter(ReadOnlySpan<float> clusterVectors, Span<float> weights)
    {
        Layout.CheckLength(weights.Length, nameof(weights));
        if (clusterVectors.Length != ClusterCount * Layout.GroupSize)
            throw new ArgumentException($"Expected {ClusterCount} × {Layout.GroupSize} floats (one vector per cluster), got {clusterVectors.Length}.", nameof(clusterVectors));
        int inner = Layout.Inner, stride = Layout.RowStride, groupSize = Layout.GroupSize;
        for (int o = 0; o < Layout.Out; o++)
        {
            var row = weights.Slice(o * stride, stride);
            for (int j = 0; j < _labels.Length; j++)
            {
                int c = _labels[j];
                var dst = row.Slice(j * inner, inner);
                if (c < 0) dst.Clear();
                else clusterVectors.Slice(c * groupSize + o * inner, inner).CopyTo(dst);
            }
        }
    }

    /// <summary>Sets every member group to its cluster's mean and every dead group to zero, in place.</summary>
    public void Enforce(Span<float> weights)
    {
        Layout.CheckLength(weights.Length, nameof(weights));
        int inner = Layout.Inner, stride = Layout.RowStride;
        for (int o = 0; o < Layout.Out; o++)
        {
            var row = weights.Slice(o * stride, stride);
            SumRow(row, inner);
            for (int c = 0; c < ClusterCount; c++)
            {
                int count = _memberStart[c + 1] - _memberStart[c];
                if (count == 1) continue; // a singleton's mean is itself; skip the divide so it stays bit-identical
                // (ClusterMeans uses the same arithmetic, so Enforce(w) == Scatter(ClusterMeans(w)) bit for bit)
                var acc = _accumulator.AsSpan(c * inner, inner);
                for (int k = 0; k < inner; k++) acc[k] /= count;
            }
            WriteRow(row, inner);
        }
    }

    /// <summary>Replaces every member's gradient by the sum over its cluster (the shared vector's gradient); dead → 0.</summary>
    public void TieGradients(Span<float> gradient)
    {
        Layout.CheckLength(gradient.Length, nameof(gradient));
        int inner = Layout.Inner, stride = Layout.RowStride;
        for (int o = 0; o < Layout.Out; o++)
        {
            var row = gradient.Slice(o * stride, stride);
            SumRow(row, inner);
            WriteRow(row, inner);
        }
    }

    /// <summary>True if every cluster's members are bit-identical and every dead group is zero.</summary>
    public bool IsSatisfiedBy(ReadOnlySpan<float> weights)
    {
        Layout.CheckLength(weights.Length, nameof(weights));
        int inner = Layout.Inner, stride = Layout.RowStride;
        for (int o = 0; o < Layout.Out; o++)
        {
            var row = weights.Slice(o * stride, stride);
            for (int j = 0; j < _labels.Length; j++)
            {
                var run = row.Slice(j * inner, inner);
                int label = _labels[j];
                if (label == Dead)
                {
                    if (run.ContainsAnyExcept(0f)) return false;
                }
                else
                {
                    int first = _members[_memberStart[label]];
                    if (first != j && !run.SequenceEqual(row.Slice(first * inner, inner))) return false;
                }
            }
        }
        return true;
    }

    /// <summary>_accumulator[c] ← Σ over members j of cluster c of row[j·inner .. +inner].</summary>
    private void SumRow(ReadOnlySpan<float> row, int inner)
    {
        Array.Clear(_accumulator);
        var acc = _accumulator.AsSpan();
        if (inner == 1)
        {
            for (int j = 0; j < _labels.Length; j++)
            {
                int c = _labels[j];
                if (c >= 0) acc[c] += row[j];
            }
            return;
        }
        for (int j = 0; j < _labels.Length; j++)
        {
            int c = _labels[j];
            if (c < 0) continue;
            var src = row.Slice(j * inner, inner);
            var dst = acc.Slice(c * inner, inner);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
        }
    }

    /// <summary>row[j] ← _accumulator[label j], or 0 for dead groups.</summary>
    private void WriteRow(Span<float> row, int inner)
    {
        for (int j = 0; j < _labels.Length; j++)
        {
            int c = _labels[j];
            var dst = row.Slice(j * inner, inner);
            if (c < 0) dst.Clear();
            else _accumulator.AsSpan(c * inner, inner).CopyTo(dst);
        }
    }
}
