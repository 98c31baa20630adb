using Knot.Nn;
using Knot.Tensors;

namespace Knot.Optim;

/// <summary>
/// Adam / AdamW with PyTorch's conventions. Adam: g ← ∇ + wd·w (L2 in the gradient). AdamW: w ← w·(1 − lr·wd)
/// first (decoupled). Then m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − lr·m̂ / (√v̂ + ε) with
/// m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float[][][] _m;
    private readonly float[][][] _v;

    public Adam(IEnumerable<ParameterGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, bool decoupledWeightDecay = false)
        : base(groups)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Adam beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Adam beta2 must be in [0, 1).");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Adam epsilon must be > 0.");
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; DecoupledWeightDecay = decoupledWeightDecay;
        _m = Groups.Select(CreateSlots).ToArray();
        _v = Groups.Select(CreateSlots).ToArray();
    }

    public Adam(IEnumerable<Parameter> parameters, float learningRate, float weightDecay = 0f, bool decoupledWeightDecay = false)
        : this([new ParameterGroup(parameters, learningRate, weightDecay)], decoupledWeightDecay: decoupledWeightDecay) { }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public bool DecoupledWeightDecay { get; }

    public override void Step()
    {
        StepCount++;
        double bias1 = 1 - Math.Pow(Beta1, StepCount), bias2 = 1 - Math.Pow(Beta2, StepCount);
        float b1 = Beta1, b2 = Beta2, eps = Epsilon;
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var group = Groups[gi];
            float lr = group.LearningRate, wd = group.WeightDecay;
            float stepSize = (float)(lr / bias1);
            float invSqrtBias2 = (float)(1 / Math.Sqrt(bias2));
            for (int pi = 0; pi < group.Parameters.Count; pi++)
            {
                var p = group.Parameters[pi];
                if (p.Frozen || p.Value.Grad is null) continue;
                var w = p.Value.Data.AsSpan();
                var grad = p.Value.Grad.Data.AsSpan();
                var m = _m[gi][pi].AsSpan();
                var v = _v[gi][pi].AsSpan();
                float decay = DecoupledWeightDecay ? 1f - lr * wd : 1f;
                float l2 = DecoupledWeightDecay ? 0f : wd;
                for (int i = 0; i < w.Length; i++)
                {
                    float g = grad[i] + l2 * w[i];
                    float mi = m[i] = b1 * m[i] + (1 - b1) * g;
                    float vi = v[i] = b2 * v[i] + (1 - b2) * g * g;
                    w[i] = w[i] * decay - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBias2 + eps);
                }
            }
        }
    }

    public override IEnumerable<(string Name, Tensor State)> StateTensors()
    {
        for (int gi = 0; gi < Groups.Count; gi++)
            for (int pi = 0; pi < Groups[gi].Parameters.Count; pi++)
            {
                yield return ($"{gi}.{pi}.exp_avg", Tensor.FromArray(_m[gi][pi], _m[gi][pi].Length));
                yield return ($"{gi}.{pi}.exp_avg_sq", Tensor.FromArray(_v[gi][pi], _v[gi][pi].Length));
            }
    }
}
