using System.Runtime.Intrinsics;
using Knot.Compression.SoftSharing;
using Knot.Tensors;

namespace Knot.Tests.Compression.SoftSharing;

public sealed class GaussianMixturePriorTests
{
    [Fact]
    public void InitialisationSpacesMeansEvenlyAndSplitsMixingEqually()
    {
        var options = new GaussianMixturePriorOptions { LearnedComponents = 16, ZeroMixing = 0.999 };
        var prior = GaussianMixturePrior.FromRange(-0.6, 0.6, options);

        Assert.Equal(16, prior.Means.Length);
        Assert.Equal(17, prior.LogPrecisions.Length);
        Assert.Equal(-0.6f, prior.Means[0], 1e-6f);
        Assert.Equal(0.6f, prior.Means[15], 1e-6f);
        for (int k = 1; k < 16; k++) Assert.Equal(1.2 / 15, prior.Means[k] - prior.Means[k - 1], 1e-6);

        float s = (float)(-2 * Math.Log(0.25));
        Assert.All(prior.LogPrecisions, v => Assert.Equal(s, v));   // the zero component starts like the others

        var comps = prior.GetComponents();
        Assert.Equal(0, comps[0].Mean);
        Assert.Equal(0.999, comps[0].Mixing, 1e-12);
        for (int k = 1; k <= 16; k++)
        {
            Assert.Equal(0.001 / 16, comps[k].Mixing, 1e-12);
            Assert.Equal(0.25, comps[k].StandardDeviation, 1e-6);
        }

        Assert.Null(prior.ZeroMixingLogit);
        Assert.Equal(3, prior.Parameters.Count);
    }

    [Fact]
    public void FromWeightsUsesTheRangeOverAllTensorsAndHonoursZeroSigma()
    {
        float[] a = [0.1f, -0.3f, 0.2f];
        float[] b = [0.9f, -0.05f];
        var prior = GaussianMixturePrior.FromWeights([a, b],
            new GaussianMixturePriorOptions { LearnedComponents = 5, ZeroInitialSigma = 0.05, LearnZeroMixing = true, ZeroMixing = 0.99 });
        Assert.Equal([-0.3f, 0.0f, 0.3f, 0.6f, 0.9f], prior.Means.Select(m => MathF.Round(m, 5)).ToArray());
        Assert.Equal((float)(-2 * Math.Log(0.05)), prior.LogPrecisions[0]);
        Assert.Equal(0.99, prior.ZeroMixing, 1e-6);
        Assert.Equal(4, prior.Parameters.Count);

        var single = GaussianMixturePrior.FromRange(-1, 3, new GaussianMixturePriorOptions { LearnedComponents = 1 });
        Assert.Equal(1f, single.Means[0]);
    }

    [Fact]
    public void BadOptionsAndInputsGetClearErrors()
    {
        Assert.Throws<ArgumentException>(() => GaussianMixturePrior.FromRange(1, 1));
        Assert.Throws<ArgumentException>(() => GaussianMixturePrior.FromRange(0, 1, new GaussianMixturePriorOptions { ZeroMixing = 1 }));
        Assert.Throws<ArgumentException>(() => GaussianMixturePrior.FromRange(0, 1, new GaussianMixturePriorOptions { LearnedComponents = 0 }));
        Assert.Throws<ArgumentException>(() => GaussianMixturePrior.FromRange(0, 1, new GaussianMixturePriorOptions { PrecisionPrior = default(GammaHyperPrior) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GammaHyperPrior(0.5, -1));
        var ex = Assert.Throws<ArgumentException>(() => GaussianMixturePrior.FromWeights([0.1f, float.NaN]));
        Assert.Contains("[0][1]", ex.Message);

        var prior = GaussianMixturePrior.FromRange(-1, 1);
        ex = Assert.Throws<ArgumentException>(() => prior.Evaluate(new float[4], new float[3], 1f));
        Assert.Contains("expected 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => prior.Evaluate([0.1f, 0.2f, float.PositiveInfinity], new float[3], 1f));
        Assert.Contains("weights[2]", ex.Message);

        prior.LogPrecisions[3] = float.NaN;
        Assert.Throws<InvalidOperationException>(() => prior.Evaluate(new float[2], new float[2], 1f));
    }

    [Fact]
    public void GradientsAccumulateAndZeroGradientsClears()
    {
        var rng = new KnotRandom(3);
        var prior = MixtureTestModel.RandomPrior(rng, new GaussianMixturePriorOptions { LearnedComponents = 3, LearnZeroMixing = true });
        var w = MixtureTestModel.RandomWeights(rng, 20);
        var g = new float[20];
        prior.Evaluate(w, g, 1f);
        var g1 = (float[])g.Clone();
        var m1 = (float[])prior.MeanGradients.Clone();
        float eta1 = prior.ZeroMixingLogitGradient![0];
        prior.Evaluate(w, g, 1f);
        for (int i = 0; i < g.Length; i++) Assert.Equal(2 * g1[i], g[i], Math.Abs(g1[i]) * 1e-6f);
        for (int k = 0; k < m1.Length; k++) Assert.Equal(2 * m1[k], prior.MeanGradients[k], Math.Abs(m1[k]) * 1e-6f);
        Assert.Equal(2 * eta1, prior.ZeroMixingLogitGradient[0], Math.Abs(eta1) * 1e-6f);

        prior.ZeroGradients();
        foreach (var p in prior.Parameters) Assert.All(p.Gradients, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void VectorPathMatchesScalarReferenceOnManySizes()
    {
        if (!Vector256.IsHardwareAccelerated) return;   // the scalar path is then the only one and is tested directly
        var rng = new KnotRandom(9);
        var options = new GaussianMixturePriorOptions { LearnedComponents = 16, LearnZeroMixing = true };
        var a = MixtureTestModel.RandomPrior(rng, options);
        var b = GaussianMixturePrior.FromRange(-1, 1, options);
        a.Means.CopyTo(b.Means, 0);
        a.LogPrecisions.CopyTo(b.LogPrecisions, 0);
        a.MixingLogits.CopyTo(b.MixingLogits, 0);
        a.ZeroMixingLogit!.CopyTo(b.ZeroMixingLogit!, 0);

        foreach (int n in new[] { 0, 1, 7, 8, 9, 63, 64, 65, 511, 512, 513, 4099, 20_000 })
        {
            var w = MixtureTestModel.RandomWeights(rng, n);
            var gv = new float[n];
            var gs = new float[n];
            a.ZeroGradients();
            b.ZeroGradients();
            double lv = a.EvaluateDataTerm(w, gv, 0.5f, vectorized: true);
            double ls = b.EvaluateDataTerm(w, gs, 0.5f, vectorized: false);
            Assert.Equal(ls, lv, 1e-5 * (Math.Abs(ls) + 1));
            for (int i = 0; i < n; i++) Assert.Equal(gs[i], gv[i], 1e-4f * (Math.Abs(gs[i]) + 1));
            for (int p = 0; p < a.Parameters.Count; p++)
            {
                var pa = a.Parameters[p].Gradients;
                var pb = b.Parameters[p].Gradients;
                for (int k = 0; k < pa.Length; k++)
                    Assert.True(Math.Abs(pa[k] - pb[k]) <= 1e-4 * (Math.Abs(pb[k]) + 1) + 1e-6 * n,
                        $"n={n} {a.Parameters[p].Name}[{k}]: vector {pa[k]} vs scalar {pb[k]}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FarAwayWeightsGiveFiniteLossAndGradientsPointingHome(bool vectorized)
    {
        var prior = GaussianMixturePrior.FromRange(-0.5, 0.5, new GaussianMixturePriorOptions { LearnedComponents = 4 });
        prior.LogPrecisions.AsSpan().Fill(8f);    // σ ≈ 0.018: every component's density underflows far away
        float[] w = [1e3f, -1e3f, 3e4f, -3e4f, 50f, 0.5f, 0f, -0.5f, 1e-30f];
        var model = new MixtureTestModel(prior, w.Length);
        var g = new float[w.Length];

        double loss = prior.EvaluateDataTerm(w, g, 1f, vectorized);

        Assert.True(double.IsFinite(loss));
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        foreach (var p in prior.Parameters) Assert.All(p.Gradients, v => Assert.True(float.IsFinite(v), $"{p.Name} gradient {v}"));
        // Far on the right the nearest component is μ = 0.5: the gradient is λ·(w − 0.5) > 0 (descent pulls left).
        double lambda = Math.Exp(8);
        Assert.Equal(lambda * (1e3 - 0.5), g[0], 1e-4 * lambda * 1e3);
        Assert.Equal(lambda * (-1e3 + 0.5), g[1], 1e-4 * lambda * 1e3);
        Assert.True(g[2] > 0 && g[3] < 0);
        double expected = model.Loss(model.Pack(w)) - 0;   // no hyper-prior term in EvaluateDataTerm: subtract it
        foreach (var s in prior.LogPrecisions.Select((v, k) => (v, k)))
        {
            var gp = s.k == 0 ? prior.Options.ZeroPrecisionPrior!.Value : prior.Options.PrecisionPrior!.Value;
            expected -= gp.NegativeLogDensity(s.v);
        }

        Assert.Equal(expected, loss, Math.Abs(expected) * 1e-5);
    }

    [Fact]
    public void EvaluationAllocatesNothingInSteadyState()
    {
        var rng = new KnotRandom(8);
        var prior = MixtureTestModel.RandomPrior(rng, new GaussianMixturePriorOptions { LearnZeroMixing = true });
        var w = MixtureTestModel.RandomWeights(rng, 1003);
        var g = new float[w.Length];
        prior.Evaluate(w, g, 1e-3f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) prior.Evaluate(w, g, 1e-3f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void FastExpMatchesMathExpOnNonPositiveArguments()
    {
        double worst = 0;
        for (double x = -90; x <= 0; x += 0.0137)
        {
            float got = MixtureLogLikelihoodKernel.ExpNonPositive(Vector256.Create((float)x)).GetElement(0);
            double want = Math.Exp((float)x);
            if ((float)x < -87.3f) { Assert.Equal(0f, got); continue; }   // documented cut-off: below the normal floats
            worst = Math.Max(worst, Math.Abs(got - want) / want);
        }

        Assert.True(worst < 3e-7, $"worst relative error {worst}");
        Assert.Equal(1f, MixtureLogLikelihoodKernel.ExpNonPositive(Vector256<float>.Zero).GetElement(0));
        Assert.Equal(0f, MixtureLogLikelihoodKernel.ExpNonPositive(Vector256.Create(float.NegativeInfinity)).GetElement(0));
    }

    [Fact]
    public void HyperPriorsPullPrecisionsToTheirModes()
    {
        var g = GammaHyperPrior.ComponentDefault;
        double mode = Math.Log((g.Alpha - 1) / g.Beta);
        Assert.Equal(0, g.Derivative(mode), 1e-9);
        Assert.True(g.Derivative(mode - 1) < 0 && g.Derivative(mode + 1) > 0);

        var b = BetaHyperPrior.Default;
        double logit = Math.Log(0.999 / 0.001);
        Assert.Equal(0, b.Derivative(logit), 1e-9);
        Assert.True(double.IsFinite(b.NegativeLogDensity(40)) && double.IsFinite(b.NegativeLogDensity(-40)));
    }
}
