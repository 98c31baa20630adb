namespace Knot.Compression.Proximal;

/// <summary>
/// Shared machinery of the group operators: one streamed pass for the group norms, a per-group rule that shrinks the
/// norms (<see cref="ShrinkNorms"/>), the persistent dead mask, and one streamed pass that rescales every group by
/// new norm / old norm. Everything per call works in arrays sized at construction. Subclassed only inside Knot.
/// </summary>
public abstract class GroupProximalOperator : IGroupProximalOperator
{
    /// <summary>Default norm below which a group is killed for good (METHODS.md §1.4).</summary>
    public const float DefaultDeadThreshold = 1e-7f;

    private readonly float[] _norms;
    private readonly float[] _shrunk;
    private readonly bool[] _dead;
    private readonly float[] _rowScratch; // per-element accumulator / expanded scales for kernels (Inner > 1)

    private protected GroupProximalOperator(GroupLayout layout, float deadThreshold)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!float.IsFinite(deadThreshold) || deadThreshold < 0)
            throw new ArgumentOutOfRangeException(nameof(deadThreshold), deadThreshold, "The dead-group threshold must be finite and >= 0.");
        Layout = layout;
        DeadThreshold = deadThreshold;
        _norms = new float[layout.GroupCount];
        _shrunk = new float[layout.GroupCount];
        _dead = new bool[layout.GroupCount];
        _rowScratch = layout.Inner > 1 ? new float[layout.RowStride] : [];
    }

    public GroupLayout Layout { get; }
    public int Length => Layout.Size;
    public float DeadThreshold { get; }
    public ReadOnlySpan<bool> DeadGroups => _dead;
    public int DeadCount { get; private set; }

    public void SetDeadGroups(ReadOnlySpan<bool> dead)
    {
        if (dead.Length != _dead.Length)
            throw new ArgumentException($"Expected one dead flag per group ({_dead.Length}), got {dead.Length}.", nameof(dead));
        dead.CopyTo(_dead);
        int count = 0;
        foreach (bool b in _dead) if (b) count++;
        DeadCount = count;
    }

    public void Apply(Span<float> weights, float stepSize)
    {
        Layout.CheckLength(weights.Length, nameof(weights));
        if (!float.IsFinite(stepSize) || stepSize < 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The prox step size must be finite and >= 0.");
        var norms = _norms.AsSpan();
        ComputeNorms(weights, norms);
        // Dead groups count as zero-norm groups: they rank last and receive nothing.
        for (int j = 0; j < norms.Length; j++) if (_dead[j]) norms[j] = 0f;

        var shrunk = _shrunk.AsSpan();
        ShrinkNorms(norms, stepSize, shrunk);

        // Reuse `shrunk` as the per-group scale: new norm / old norm, 0 for groups that are or become dead.
        float threshold = DeadThreshold;
        int deadCount = DeadCount;
        for (int j = 0; j < shrunk.Length; j++)
        {
            float r = norms[j], s = shrunk[j];
            if (_dead[j] || s <= threshold || r == 0f)
            {
                if (!_dead[j]) { _dead[j] = true; deadCount++; }
                shrunk[j] = 0f;
            }
            else
            {
                shrunk[j] = s / r;
            }
        }
        DeadCount = deadCount;
        Layout.ScaleGroups(weights, shrunk, _rowScratch);
    }

    public double Value(ReadOnlySpan<float> weights)
    {
        Layout.CheckLength(weights.Length, nameof(weights));
        var norms = _norms.AsSpan();
        ComputeNorms(weights, norms);
        return Penalty(norms);
    }

    /// <summary>new group norms = the prox of stepSize·Ω restricted to the vector of norms (all finite, ≥ 0).</summary>
    private protected abstract void ShrinkNorms(ReadOnlySpan<float> norms, float stepSize, Span<float> shrunk);

    /// <summary>Ω as a function of the group norms.</summary>
    private protected abstract double Penalty(ReadOnlySpan<float> norms);

    private void ComputeNorms(ReadOnlySpan<float> weights, Span<float> norms)
    {
        Layout.Norms(weights, norms, _rowScratch);
        for (int j = 0; j < norms.Length; j++)
        {
            if (!float.IsFinite(norms[j]))
                throw new ArgumentException($"Group {j} of the weights {Layout.ToString()} has a non-finite norm ({norms[j]}): the weights contain NaN or Inf (or overflow).", nameof(weights));
        }
    }
}
