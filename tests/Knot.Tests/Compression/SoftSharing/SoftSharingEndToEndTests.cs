using Knot.Compression.SoftSharing;
using Knot.Tensors;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>
/// Minimising L_C alone (no data loss) over weights and prior jointly, with Adam on four parameter groups as the
/// trainer will: the loss must fall, the weights must cluster around the learned means and quantising afterwards
/// must barely move them.
/// </summary>
public sealed class SoftSharingEndToEndTests
{
    [Fact]
    public void DescentOnPriorAndWeightsPullsABimodalWeightSetOntoTheMeans()
    {
        var rng = new KnotRandom(2024);
        var w = new float[600];
        for (int i = 0; i < w.Length; i++)
        {
            double centre = (i % 3) switch { 0 => -0.5, 1 => 0.5, _ => 0.0 };
            w[i] = (float)(centre + 0.08 * rng.NextNormal());
        }

        var prior = GaussianMixturePrior.FromWeights(w, new GaussianMixturePriorOptions { LearnedComponents = 6, ZeroMixing = 0.4 });
        float scale = 1f / w.Length;
        var grad = new float[w.Length];
        var weightAdam = new Adam(w.Length, 2e-3f);
        var groups = new[] { (prior.Means, prior.MeanGradients, new Adam(6, 2e-3f)),
                             (prior.LogPrecisions, prior.LogPrecisionGradients, new Adam(7, 2e-2f)),
                             (prior.MixingLogits, prior.MixingLogitGradients, new Adam(6, 2e-2f)) };

        double first = double.NaN, last = double.NaN;
        double spreadBefore = Spread(w, prior);
        for (int step = 0; step < 300; step++)
        {
            Array.Clear(grad);
            prior.ZeroGradients();
            last = prior.Evaluate(w, grad, scale);
            if (step == 0) first = last;
            weightAdam.Step(w, grad);
            foreach (var (values, grads, adam) in groups) adam.Step(values, grads);
        }

        double spreadAfter = Spread(w, prior);
        Assert.True(last < first, $"L_C did not decrease: {first} → {last}");
        Assert.True(spreadAfter < 0.25 * spreadBefore, $"weights did not cluster: mean distance to nearest mean {spreadBefore} → {spreadAfter}");

        var merged = MixtureMerging.Merge(prior.GetComponents(), 1e-3, zeroTolerance: 0.02);
        var q = SoftSharingQuantizer.Quantize(w, merged, ComponentAssignment.MaximumAPosteriori);
        double moved = w.Zip(q.Weights[0], (a, b) => Math.Abs(a - b)).Average();
        Assert.True(moved < 0.02, $"quantisation moved weights by {moved} on average");
        // Each mode keeps its identity: the ±0.5 weights stay on their side (a mode may split into two nearby
        // clusters), and the weights born around 0 end exactly at 0.
        int zeroBorn = 0, zeroNow = 0, sideBorn = 0, sideKept = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double centre = (i % 3) switch { 0 => -0.5, 1 => 0.5, _ => 0.0 };
            float v = q.Weights[0][i];
            if (centre == 0)
            {
                zeroBorn++;
                if (v == 0) zeroNow++;
            }
            else
            {
                sideBorn++;
                if (Math.Abs(v - centre) < 0.2) sideKept++;
            }
        }

        Assert.True(sideKept >= 0.95 * sideBorn, $"only {sideKept} of {sideBorn} weights from ±0.5 stayed near their mode");
        Assert.True(zeroNow >= 0.9 * zeroBorn, $"only {zeroNow} of {zeroBorn} weights around 0 snapped to 0");
        Assert.InRange(q.DistinctValues, 3, 7);
    }

    /// <summary>Mean distance of each weight to the mean of its most responsible component.</summary>
    private static double Spread(float[] w, GaussianMixturePrior prior)
    {
        var comps = prior.GetComponents();
        double total = 0;
        foreach (float x in w) total += Math.Abs(x - comps[SoftSharingQuantizer.Assign(comps, x, ComponentAssignment.MaximumAPosteriori)].Mean);
        return total / w.Length;
    }

    /// <summary>Textbook Adam (β = 0.9, 0.999), enough for this test; the library's optimiser lives elsewhere.</summary>
    private sealed class Adam(int length, float lr)
    {
        private readonly double[] _m = new double[length];
        private readonly double[] _v = new double[length];
        private int _t;

        public void Step(float[] values, float[] grads)
        {
            _t++;
            for (int i = 0; i < values.Length; i++)
            {
                _m[i] = 0.9 * _m[i] + 0.1 * grads[i];
                _v[i] = 0.999 * _v[i] + 0.001 * grads[i] * grads[i];
                double mh = _m[i] / (1 - Math.Pow(0.9, _t));
                double vh = _v[i] / (1 - Math.Pow(0.999, _t));
                values[i] -= (float)(lr * mh / (Math.Sqrt(vh) + 1e-8));
            }
        }
    }
}
