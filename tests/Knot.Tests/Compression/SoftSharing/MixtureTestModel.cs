using Knot.Compression.SoftSharing;
using Knot.Tensors;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>
/// An independent double-precision statement of L_C as a function of one flat vector
/// x = [w (n) | μ_1..J | s_0..J | ρ_1..J | η (if learned)], written straight from the formula (not from the
/// library's code), plus helpers to build randomised priors and read the library's gradients in the same layout.
/// </summary>
internal sealed class MixtureTestModel
{
    public MixtureTestModel(GaussianMixturePrior prior, int weightCount)
    {
        Prior = prior;
        N = weightCount;
        J = prior.LearnedComponents;
        Learned = prior.ZeroMixingLogit is not null;
    }

    public GaussianMixturePrior Prior { get; }
    public int N { get; }
    public int J { get; }
    public bool Learned { get; }
    public int Length => N + J + (J + 1) + J + (Learned ? 1 : 0);

    public static GaussianMixturePrior RandomPrior(KnotRandom rng, GaussianMixturePriorOptions options)
    {
        var prior = GaussianMixturePrior.FromRange(-1, 1, options);
        for (int k = 0; k < prior.LearnedComponents; k++)
        {
            prior.Means[k] = (float)(2 * rng.NextDouble() - 1);
            prior.MixingLogits[k] = (float)rng.NextNormal();
        }

        for (int k = 0; k <= prior.LearnedComponents; k++) prior.LogPrecisions[k] = (float)(1 + 3 * rng.NextDouble());
        if (prior.ZeroMixingLogit is { } eta) eta[0] = (float)(0.5 + rng.NextNormal());
        return prior;
    }

    public static float[] RandomWeights(KnotRandom rng, int n, double sigma = 0.6)
    {
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)(sigma * rng.NextNormal());
        return w;
    }

    public double[] Pack(float[] weights)
    {
        var x = new double[Length];
        int o = 0;
        foreach (var v in weights) x[o++] = v;
        foreach (var v in Prior.Means) x[o++] = v;
        foreach (var v in Prior.LogPrecisions) x[o++] = v;
        foreach (var v in Prior.MixingLogits) x[o++] = v;
        if (Learned) x[o] = Prior.ZeroMixingLogit![0];
        return x;
    }

    public double[] PackGradients(float[] weightGrad)
    {
        var g = new double[Length];
        int o = 0;
        foreach (var v in weightGrad) g[o++] = v;
        foreach (var v in Prior.MeanGradients) g[o++] = v;
        foreach (var v in Prior.LogPrecisionGradients) g[o++] = v;
        foreach (var v in Prior.MixingLogitGradients) g[o++] = v;
        if (Learned) g[o] = Prior.ZeroMixingLogitGradient![0];
        return g;
    }

    /// <summary>L_C in double from the flat vector.</summary>
    public double Loss(double[] x)
    {
        var opt = Prior.Options;
        int o = N;
        var mu = new double[J + 1];
        for (int k = 1; k <= J; k++) mu[k] = x[o++];
        var s = new double[J + 1];
        for (int k = 0; k <= J; k++) s[k] = x[o++];
        var rho = new double[J];
        for (int k = 0; k < J; k++) rho[k] = x[o++];
        double pi0 = Learned ? 1 / (1 + Math.Exp(-x[o])) : opt.ZeroMixing;

        double zr = 0;
        foreach (var r in rho) zr += Math.Exp(r);
        var logPi = new double[J + 1];
        logPi[0] = Math.Log(pi0);
        for (int k = 1; k <= J; k++) logPi[k] = Math.Log(1 - pi0) + rho[k - 1] - Math.Log(zr);

        double loss = 0;
        var terms = new double[J + 1];
        for (int i = 0; i < N; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k <= J; k++)
            {
                double lambda = Math.Exp(s[k]);
                double d = x[i] - mu[k];
                terms[k] = logPi[k] + 0.5 * Math.Log(lambda / (2 * Math.PI)) - 0.5 * lambda * d * d;
                max = Math.Max(max, terms[k]);
            }

            double sum = 0;
            foreach (var t in terms) sum += Math.Exp(t - max);
            loss -= max + Math.Log(sum);
        }

        for (int k = 0; k <= J; k++)
        {
            if ((k == 0 ? opt.ZeroPrecisionPrior : opt.PrecisionPrior) is { } g)
                loss += (1 - g.Alpha) * s[k] + g.Beta * Math.Exp(s[k]);
        }

        if (Learned && opt.ZeroMixingPrior is { } b)
            loss += -(b.A - 1) * Math.Log(pi0) - (b.B - 1) * Math.Log(1 - pi0);
        return loss;
    }
}
