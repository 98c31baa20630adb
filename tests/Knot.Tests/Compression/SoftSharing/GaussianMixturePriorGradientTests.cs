using Knot.Compression.SoftSharing;
using Knot.Tensors;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>
/// The analytic gradients of L_C (weights and every prior parameter) against central differences of an
/// independent double-precision formula, on both kernel paths, with and without hyper-priors.
/// </summary>
public sealed class GaussianMixturePriorGradientTests
{
    private const float Scale = 0.75f;   // a scale ≠ 1 also checks that every gradient is scaled exactly once

    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool vectorized in new[] { true, false })
        foreach (bool learnPi0 in new[] { false, true })
        foreach (bool hyper in new[] { true, false })
            data.Add(vectorized, learnPi0, hyper);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AnalyticGradientMatchesCentralDifferences(bool vectorized, bool learnPi0, bool hyperPriors)
    {
        var (model, weights, analytic) = Setup(vectorized, learnPi0, hyperPriors, seed: 11);
        var x = model.Pack(weights);

        var (err, idx, num, an) = GradientChecker.Check(model.Loss, x, analytic);

        Assert.True(err < 2e-4, $"gradient check failed at flat index {idx}: numeric {num}, analytic {an}, error {err}");
    }

    [Fact]
    public void ReturnedLossEqualsIndependentFormula()
    {
        foreach (bool learn in new[] { false, true })
        {
            var rng = new KnotRandom(5);
            var prior = MixtureTestModel.RandomPrior(rng, new GaussianMixturePriorOptions { LearnedComponents = 5, ZeroMixing = 0.9, LearnZeroMixing = learn });
            var w = MixtureTestModel.RandomWeights(rng, 101);
            var model = new MixtureTestModel(prior, w.Length);
            double loss = prior.Evaluate(w, new float[w.Length], 1f);
            double expected = model.Loss(model.Pack(w));
            Assert.Equal(expected, loss, Math.Abs(expected) * 1e-6);
        }
    }

    [Fact]
    public void CheckerRejectsADeliberatelyWrongGradient()
    {
        var (model, weights, analytic) = Setup(vectorized: true, learnPi0: true, hyperPriors: true, seed: 12);
        var x = model.Pack(weights);
        Assert.True(GradientChecker.Check(model.Loss, x, analytic).MaxError < 2e-4);

        // 1% off in one prior parameter (a mean), and separately one weight's gradient off by a small absolute amount.
        int meanIndex = model.N + 1;
        var wrong = (double[])analytic.Clone();
        wrong[meanIndex] += 0.01 * Math.Max(1, Math.Abs(wrong[meanIndex]));
        var (err, idx, _, _) = GradientChecker.Check(model.Loss, x, wrong);
        Assert.True(err > 2e-4, $"checker missed a wrong mean gradient (error {err})");
        Assert.Equal(meanIndex, idx);

        wrong = (double[])analytic.Clone();
        wrong[3] += 1e-4 + 0.01 * Math.Abs(wrong[3]);
        Assert.True(GradientChecker.Check(model.Loss, x, wrong).MaxError > 2e-4);
    }

    [Fact]
    public void DataTermPerTensorPlusHyperPriorEqualsEvaluateOnTheConcatenation()
    {
        var rng = new KnotRandom(21);
        var options = new GaussianMixturePriorOptions { LearnedComponents = 6, LearnZeroMixing = true };
        var a = MixtureTestModel.RandomPrior(rng, options);
        var b = GaussianMixturePrior.FromRange(-1, 1, options);
        Copy(a, b);
        var w1 = MixtureTestModel.RandomWeights(rng, 45);
        var w2 = MixtureTestModel.RandomWeights(rng, 300);
        var all = w1.Concat(w2).ToArray();

        var gAll = new float[all.Length];
        double lossAll = a.Evaluate(all, gAll, 0.3f);

        var t1 = Tensor.FromArray(w1, 5, 9);
        var t2 = Tensor.FromArray(w2, 300);
        t1.Grad = Tensor.Zeros(5, 9);
        t2.Grad = Tensor.Zeros(300);
        double lossParts = b.Evaluate([t1, t2], 0.3f);

        Assert.Equal(lossAll, lossParts, Math.Abs(lossAll) * 1e-7);
        var gParts = t1.Grad.Data.Concat(t2.Grad.Data).ToArray();
        for (int i = 0; i < all.Length; i++) Assert.Equal(gAll[i], gParts[i], 1e-6f);
        for (int k = 0; k < a.LogPrecisionGradients.Length; k++)
            Assert.Equal(a.LogPrecisionGradients[k], b.LogPrecisionGradients[k], Math.Abs(a.LogPrecisionGradients[k]) * 1e-5 + 1e-5);
        for (int k = 0; k < a.MeanGradients.Length; k++)
            Assert.Equal(a.MeanGradients[k], b.MeanGradients[k], Math.Abs(a.MeanGradients[k]) * 1e-5 + 1e-5);
        Assert.Equal(a.ZeroMixingLogitGradient![0], b.ZeroMixingLogitGradient![0], Math.Abs(a.ZeroMixingLogitGradient[0]) * 1e-5 + 1e-5);
    }

    [Fact]
    public void TensorOverloadRequiresGradients()
    {
        var prior = GaussianMixturePrior.FromRange(-1, 1);
        var t = Tensor.Zeros(3);
        var ex = Assert.Throws<ArgumentException>(() => prior.Evaluate([t], 1f));
        Assert.Contains("no gradient", ex.Message);
    }

    private static (MixtureTestModel Model, float[] Weights, double[] Analytic) Setup(bool vectorized, bool learnPi0, bool hyperPriors, ulong seed)
    {
        var options = new GaussianMixturePriorOptions
        {
            LearnedComponents = 4,
            ZeroMixing = 0.8,
            LearnZeroMixing = learnPi0,
            ZeroPrecisionPrior = hyperPriors ? GammaHyperPrior.ZeroComponentDefault : null,
            PrecisionPrior = hyperPriors ? GammaHyperPrior.ComponentDefault : null,
            ZeroMixingPrior = hyperPriors ? new BetaHyperPrior(30, 4) : null,
        };
        var rng = new KnotRandom(seed);
        var prior = MixtureTestModel.RandomPrior(rng, options);
        var weights = MixtureTestModel.RandomWeights(rng, 37);   // 4 full vectors and a tail of 5
        var model = new MixtureTestModel(prior, weights.Length);

        var grad = new float[weights.Length];
        prior.ZeroGradients();
        prior.EvaluateDataTerm(weights, grad, Scale, vectorized);
        prior.EvaluateHyperPrior(Scale);
        var analytic = model.PackGradients(grad);
        for (int i = 0; i < analytic.Length; i++) analytic[i] /= Scale;
        return (model, weights, analytic);
    }

    private static void Copy(GaussianMixturePrior from, GaussianMixturePrior to)
    {
        from.Means.CopyTo(to.Means, 0);
        from.LogPrecisions.CopyTo(to.LogPrecisions, 0);
        from.MixingLogits.CopyTo(to.MixingLogits, 0);
        from.ZeroMixingLogit?.CopyTo(to.ZeroMixingLogit!, 0);
    }
}
