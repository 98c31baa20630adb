using Knot.Compression.Proximal;
using Knot.Nn;
using Knot.Training;

namespace Knot.Compression.Growl;

/// <summary>
/// Proximal gradient: right after each optimizer step, w ← prox_{μΩ}(w) with μ = lr·λ·scale (scale = K/B for
/// per-epoch λ units applied every K steps). Whole groups reach exact zero through the prox; once dead
/// (norm ≤ threshold) a group stays zero for good — also between prox applications: its gradient is masked before
/// every step and its values re-zeroed after it (as the reference code's forward mask does), so with a per-epoch prox a
/// dead input cannot regrow during the epoch. Adds per-layer zero-group counts to each epoch record, and the
/// number of distinct non-zero group norms (the prox's equal-norm blocks: the cheap per-epoch view of the tying that
/// affinity propagation later finds; for reports).
/// </summary>
public sealed class ProximalHook : ITrainingHook
{
    private readonly (string Name, Parameter Parameter, IProximalOperator Operator)[] _targets;
    private readonly int _every;
    private readonly float[][] _keepScales;   // per target: 1 for live groups, 0 for dead ones (refreshed when the dead count changes)
    private readonly float[][] _rowScratch;
    private readonly int[] _scalesForDeadCount;
    private readonly Parameter?[] _biases;
    private float[] _norms = [];
    private bool _proxOnLastStep;

    /// <param name="model">The model the targets belong to: needed with <see cref="RegularizerSpec.PreserveScale"/>, which rescales each target's layer bias too.</param>
    public ProximalHook(RegularizerSpec spec, IEnumerable<(string Name, Parameter Parameter)> targets, int stepsPerEpoch, Module? model = null)
    {
        spec.Validate();
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "Steps per epoch must be >= 1.");
        Spec = spec;
        _targets = targets.Select(t => (t.Name, t.Parameter, spec.CreateOperator(t.Parameter, t.Name))).ToArray();
        _every = spec.Every == RegularizerSpec.OncePerEpoch ? stepsPerEpoch : spec.Every;
        StepScale = spec.LambdaPerStep ? _every : (double)_every / stepsPerEpoch;
        _keepScales = new float[_targets.Length][];
        _rowScratch = new float[_targets.Length][];
        _scalesForDeadCount = new int[_targets.Length];
        if (spec.PreserveScale && model is null) throw new ArgumentException("Preserving the scale needs the model (to find each layer's bias).", nameof(model));
        _biases = _targets.Select(t => spec.PreserveScale ? RegularizerSpec.BiasOf(model!, t.Name) : null).ToArray();
        for (int t = 0; t < _targets.Length; t++)
        {
            var layout = (_targets[t].Operator as IGroupProximalOperator)?.Layout;
            _keepScales[t] = layout is null ? [] : new float[layout.GroupCount];
            _rowScratch[t] = layout is null || layout.Inner == 1 ? [] : new float[layout.RowStride];
            _scalesForDeadCount[t] = -1;
        }
    }

    /// <summary>
    /// A resumed run: the groups its first part killed are exactly zero in the checkpoint and must stay masked, or they
    /// regrow until the next prox and the run no longer matches the uninterrupted one. (A warm start — e.g. a λ sweep
    /// continuing from a stronger λ's weights — does not call this, so its zero groups may come back.)
    /// </summary>
    public void Resuming()
    {
        foreach (var (_, p, op) in _targets)
            if (op is IGroupProximalOperator group) AdoptZeroGroupsAsDead(group, p.Value.Data);
    }

    private static void AdoptZeroGroupsAsDead(IGroupProximalOperator group, ReadOnlySpan<float> weights)
    {
        var norms = new float[group.Layout.GroupCount]; // once, before the first step: not on the training path
        group.Layout.Norms(weights, norms);
        var dead = new bool[norms.Length];
        bool any = false;
        for (int j = 0; j < norms.Length; j++) any |= dead[j] = norms[j] == 0f;
        if (any) group.SetDeadGroups(dead);
    }

    public double AfterBackward(StepContext context)
    {
        MaskDeadGroups(gradients: true);
        return 0;
    }

    public RegularizerSpec Spec { get; }

    /// <summary>μ = lr · StepScale for the operator's λ.</summary>
    public double StepScale { get; }

    public IReadOnlyList<(string Name, Parameter Parameter, IProximalOperator Operator)> Targets => _targets;

    public void AfterStep(StepContext context)
    {
        bool due = Spec.Every == RegularizerSpec.OncePerEpoch
            ? context.StepInEpoch + 1 == context.StepsPerEpoch
            : (context.GlobalStep + 1) % _every == 0;
        _proxOnLastStep = due && context.StepInEpoch + 1 == context.StepsPerEpoch;
        if (due)
        {
            float mu = (float)(context.LearningRate * StepScale);
            for (int t = 0; t < _targets.Length; t++)
            {
                var (_, p, op) = _targets[t];
                double before = Spec.PreserveScale ? Norm(p.Value.Data) : 0;
                op.Apply(p.Value.Data, mu);
                if (Spec.PreserveScale) RestoreScale(p, _biases[t], before);
            }
        }
        else
        {
            MaskDeadGroups(gradients: false);
        }
    }

    private static double Norm(ReadOnlySpan<float> values) => Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(values, values));

    /// <summary>Scales the weight (and its bias) back to the norm it had before the prox; nothing to do once all of it is zero.</summary>
    private static void RestoreScale(Parameter weight, Parameter? bias, double before)
    {
        double after = Norm(weight.Value.Data);
        if (!(after > 0) || !(before > 0)) return;
        float c = (float)(before / after);
        System.Numerics.Tensors.TensorPrimitives.Multiply(weight.Value.Data, c, weight.Value.Data);
        if (bias is not null) System.Numerics.Tensors.TensorPrimitives.Multiply(bias.Value.Data, c, bias.Value.Data);
    }

    /// <summary>Zeroes the dead groups of every target's gradient or values (nothing to do while no group is dead).</summary>
    private void MaskDeadGroups(bool gradients)
    {
        for (int t = 0; t < _targets.Length; t++)
        {
            if (_targets[t].Operator is not IGroupProximalOperator g || g.DeadCount == 0) continue;
            var scales = _keepScales[t];
            if (_scalesForDeadCount[t] != g.DeadCount)
            {
                var dead = g.DeadGroups;
                for (int j = 0; j < scales.Length; j++) scales[j] = dead[j] ? 0f : 1f;
                _scalesForDeadCount[t] = g.DeadCount;
            }
            var p = _targets[t].Parameter;
            if (gradients && p.Value.Grad is null) continue;
            g.Layout.ScaleGroups(gradients ? p.Grad.Data : p.Value.Data, scales, _rowScratch[t]);
        }
    }

    /// <summary>The prox ran after the epoch's last forward pass: BatchNorm layers saw the weights before it.</summary>
    public bool StaleBatchNormStatistics => _proxOnLastStep;

    public void AfterEpoch(EpochRecord record)
    {
        int groups = 0, dead = 0;
        double value = 0;
        foreach (var (name, p, op) in _targets)
        {
            value += op.Value(p.Value.Data);
            if (op is IGroupProximalOperator g)
            {
                record.Extra[name + ".zero_groups"] = g.DeadCount;
                record.Extra[name + ".norm_clusters"] = DistinctNonZeroNorms(g.Layout, p.Value.Data, g.DeadThreshold);
                groups += g.Layout.GroupCount;
                dead += g.DeadCount;
            }
        }
        if (groups > 0) record.Extra["sparsity"] = (double)dead / groups;
        record.Extra["regularizer"] = value;
    }

    /// <summary>
    /// Non-zero group norms that differ by more than a relative 1e-4 from their sorted neighbour: groups the prox put in
    /// one pool-adjacent-violators block share a norm up to float rounding of the rescaling.
    /// </summary>
    private int DistinctNonZeroNorms(GroupLayout layout, ReadOnlySpan<float> weights, float threshold)
    {
        if (_norms.Length < layout.GroupCount) _norms = new float[layout.GroupCount];
        var norms = _norms.AsSpan(0, layout.GroupCount);
        layout.Norms(weights, norms);
        norms.Sort();
        int distinct = 0;
        float blockStart = float.NaN;
        foreach (var n in norms)
        {
            if (n <= threshold) continue;
            if (float.IsNaN(blockStart) || n - blockStart > 1e-4f * n)
            {
                distinct++;
                blockStart = n; // compared with the block's first norm, so slowly drifting values do not chain into one block
            }
        }
        return distinct;
    }
}
