using System.Numerics;
using System.Runtime.InteropServices;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Optim;

/// <summary>
/// SGD with PyTorch's conventions: g ← ∇ + wd·w; with momentum μ: b ← g on the first step, else
/// b ← μ·b + (1 − dampening)·g; Nesterov uses g + μ·b, otherwise b; then w ← w − lr·(that).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][][] _momentum;
    private readonly bool[][] _hasMomentum;

    public Sgd(IEnumerable<ParameterGroup> groups, float momentum = 0f, bool nesterov = false, float dampening = 0f) : base(groups)
    {
        if (!float.IsFinite(momentum) || momentum < 0 || momentum >= 1)
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "SGD momentum must be in [0, 1).");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires momentum > 0 and zero dampening.", nameof(nesterov));
        Momentum = momentum;
        Nesterov = nesterov;
        Dampening = dampening;
        _momentum = Groups.Select(g => momentum > 0 ? CreateSlots(g) : []).ToArray();
        _hasMomentum = Groups.Select(g => new bool[g.Parameters.Count]).ToArray();
    }

    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
        : this([new ParameterGroup(parameters, learningRate, weightDecay)], momentum, nesterov) { }

    public float Momentum { get; }
    public bool Nesterov { get; }
    public float Dampening { get; }

    public override void Step()
    {
        StepCount++;
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var group = Groups[gi];
            float lr = group.LearningRate, wd = group.WeightDecay;
            for (int pi = 0; pi < group.Parameters.Count; pi++)
            {
                var p = group.Parameters[pi];
                if (p.Frozen || p.Value.Grad is null) continue;
                var w = p.Value.Data.AsSpan();
                var grad = p.Value.Grad.Data.AsSpan();
                if (Momentum == 0)
                {
                    for (int i = 0; i < w.Length; i++) w[i] -= lr * (grad[i] + wd * w[i]);
                    continue;
                }
                var buf = _momentum[gi][pi].AsSpan();
                bool first = !_hasMomentum[gi][pi];
                _hasMomentum[gi][pi] = true;
                UpdateWithMomentum(w, grad, buf, lr, wd, Momentum, 1f - Dampening, first, Nesterov);
            }
        }
    }

    /// <summary>
    /// One fused pass per parameter. The vector body performs exactly the scalar tail's operations in the same
    /// order (separate multiplies and adds, no FMA contraction), so results do not depend on the vector width.
    /// </summary>
    private static void UpdateWithMomentum(Span<float> w, ReadOnlySpan<float> grad, Span<float> buf, float lr, float wd, float mu, float keep, bool first, bool nesterov)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<float>.Count)
        {
            var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(grad);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(buf);
            var vLr = new Vector<float>(lr);
            var vWd = new Vector<float>(wd);
            var vMu = new Vector<float>(mu);
            var vKeep = new Vector<float>(keep);
            for (int v = 0; v < vw.Length; v++)
            {
                var g = vg[v] + vWd * vw[v];
                var b = first ? g : vMu * vb[v] + vKeep * g;
                vb[v] = b;
                vw[v] -= vLr * (nesterov ? g + vMu * b : b);
            }
            i = vw.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++)
        {
            float g = grad[i] + wd * w[i];
            float b = first ? g : mu * buf[i] + keep * g;
            buf[i] = b;
            w[i] -= lr * (nesterov ? g + mu * b : b);
        }
    }

    public override IEnumerable<(string Name, Tensor State)> StateTensors()
    {
        if (Momentum == 0) yield break;
        for (int gi = 0; gi < Groups.Count; gi++)
            for (int pi = 0; pi < Groups[gi].Parameters.Count; pi++)
                yield return ($"{gi}.{pi}.momentum", Tensor.FromArray(_momentum[gi][pi], _momentum[gi][pi].Length));
    }

    protected override void OnStateLoaded()
    {
        foreach (var flags in _hasMomentum) Array.Fill(flags, StepCount > 0);
    }
}
