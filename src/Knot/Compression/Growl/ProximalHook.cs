using Knot.Compression.Proximal;
using Knot.Nn;
using Knot.Training;

namespace Knot.Compression.Growl;

/// <summary>
/// Proximal gradient: right after each optimizer step, w ← prox_{μΩ}(w) with μ = lr·λ·scale (scale = K/B for
/// per-epoch λ units applied every K steps). Whole groups reach exact zero through the prox; once dead
/// (norm ≤ threshold) a group stays zero for good. Adds per-layer zero-group counts to each epoch record.
/// </summary>
public sealed class ProximalHook : ITrainingHook
{
    private readonly (string Name, Parameter Parameter, IProximalOperator Operator)[] _targets;
    private readonly int _every;

    public ProximalHook(RegularizerSpec spec, IEnumerable<(string Name, Parameter Parameter)> targets, int stepsPerEpoch)
    {
        spec.Validate();
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "Steps per epoch must be >= 1.");
        Spec = spec;
        _targets = targets.Select(t => (t.Name, t.Parameter, spec.CreateOperator(t.Parameter))).ToArray();
        _every = spec.Every == RegularizerSpec.OncePerEpoch ? stepsPerEpoch : spec.Every;
        StepScale = spec.LambdaPerStep ? _every : (double)_every / stepsPerEpoch;
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
        if (!due) return;
        float mu = (float)(context.LearningRate * StepScale);
        foreach (var (_, p, op) in _targets) op.Apply(p.Value.Data, mu);
    }

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
                groups += g.Layout.GroupCount;
                dead += g.DeadCount;
            }
        }
        if (groups > 0) record.Extra["sparsity"] = (double)dead / groups;
        record.Extra["regularizer"] = value;
    }
}
