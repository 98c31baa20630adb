using Knot.Tensors;

namespace Knot.Compression.SoftSharing;

/// <summary>
/// The soft weight-sharing prior of Ullrich, Meeds &amp; Welling (ICLR 2017): one Gaussian mixture with J + 1
/// components shared by all weights of a network, p(w) = Π_i Σ_{j=0..J} π_j N(w_i | μ_j, 1/λ_j), whose
/// component 0 has its mean fixed at 0.
/// </summary>
/// <remarks>
/// <para><b>What is minimised.</b> <see cref="Evaluate(ReadOnlySpan{float}, Span{float}, float)"/> computes the
/// complexity loss L_C = −Σ_i log Σ_j π_j N(w_i | μ_j, 1/λ_j) − log p(hyper), where −log p(hyper) is the sum of
/// the Gamma hyper-priors on every λ_j and, when π0 is learned, the Beta hyper-prior on π0 (both up to their
/// normalising constants; the Gaussian normaliser ½ log 2π is included). The returned value is L_C itself,
/// unscaled; every gradient it adds is multiplied by the <c>scale</c> argument.</para>
/// <para><b>τ scaling.</b> Following the public SWS tutorial, each mini-batch minimises
/// <c>CE_mean + (τ/N)·L_C</c> with CE_mean the batch-averaged cross-entropy, N the training-set size and τ = 0.003
/// (the paper's text is ambiguous between 0.05 and 0.005; it writes L_E + τ·L_C with L_E the negative
/// log-likelihood of the whole training set, and the per-batch form above is that objective divided by N, so the
/// two τ mean the same thing). So the trainer calls
/// Evaluate with <c>scale = τ/N</c> after the cross-entropy backward pass: the weight gradients gain
/// (τ/N)·dL_C/dw and the prior parameters' gradient arrays gain (τ/N)·dL_C/dθ, and the logged batch loss is
/// CE_mean + (τ/N)·L_C.</para>
/// <para><b>Parameters</b> (float arrays that an optimiser updates in place; each has a gradient array of the
/// same length that Evaluate adds into and <see cref="ZeroGradients"/> clears):
/// <see cref="Means"/> μ_1..μ_J; <see cref="LogPrecisions"/> s_0..s_J with λ_j = e^{s_j} (index 0 = zero
/// component); <see cref="MixingLogits"/> ρ_1..ρ_J with π_j = (1 − π0)·softmax(ρ)_j; and, when π0 is learned,
/// <see cref="ZeroMixingLogit"/> η with π0 = sigmoid(η). The SWS recipe gives each of means, log-precisions and
/// mixing logits (η belongs with the mixing) its own Adam parameter group; the tutorial's learning rates are
/// 5e-4 for the weights, 1e-4 for the means, 3e-3 for the log-precisions and 3e-3 for the mixing (the paper uses
/// 5e-4 for all mixture parameters).</para>
/// <para>Not thread-safe: an instance owns scratch buffers so that evaluation allocates nothing.</para>
/// </remarks>
public sealed class GaussianMixturePrior
{
    private readonly MixtureKernelWorkspace _ws;
    private readonly int _j;

    private GaussianMixturePrior(GaussianMixturePriorOptions options, double min, double max)
    {
        options.Validate();
        Options = options;
        _j = options.LearnedComponents;
        _ws = new MixtureKernelWorkspace(_j + 1);
        Means = new float[_j];
        MeanGradients = new float[_j];
        LogPrecisions = new float[_j + 1];
        LogPrecisionGradients = new float[_j + 1];
        MixingLogits = new float[_j];              // all zero: π_j = (1 − π0)/J
        MixingLogitGradients = new float[_j];
        if (options.LearnZeroMixing)
        {
            ZeroMixingLogit = [(float)Math.Log(options.ZeroMixing / (1 - options.ZeroMixing))];
            ZeroMixingLogitGradient = new float[1];
        }

        // Evenly spaced over [min, max], both ends included (numpy.linspace); one component sits mid-range.
        for (int k = 0; k < _j; k++)
            Means[k] = (float)(_j == 1 ? 0.5 * (min + max) : min + (max - min) * k / (_j - 1));

        float sLearned = (float)(-2 * Math.Log(options.InitialSigma));
        float sZero = (float)(-2 * Math.Log(options.ZeroInitialSigma ?? options.InitialSigma));
        LogPrecisions.AsSpan().Fill(sLearned);
        LogPrecisions[0] = sZero;
    }

    /// <summary>
    /// A prior whose J means are spread evenly over [min w, max w] of the pretrained weights (the concatenation
    /// of all given tensors), π_j = (1 − π0)/J, σ = <see cref="GaussianMixturePriorOptions.InitialSigma"/>.
    /// </summary>
    public static GaussianMixturePrior FromWeights(IReadOnlyList<float[]> pretrainedWeights, GaussianMixturePriorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pretrainedWeights);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        long count = 0;
        for (int t = 0; t < pretrainedWeights.Count; t++)
        {
            var w = pretrainedWeights[t] ?? throw new ArgumentException($"pretrainedWeights[{t}] is null.", nameof(pretrainedWeights));
            for (int i = 0; i < w.Length; i++)
            {
                if (!float.IsFinite(w[i]))
                    throw new ArgumentException($"pretrainedWeights[{t}][{i}] is {w[i]}; weights must be finite.", nameof(pretrainedWeights));
            }

            if (w.Length > 0)
            {
                min = Math.Min(min, System.Numerics.Tensors.TensorPrimitives.Min<float>(w));
                max = Math.Max(max, System.Numerics.Tensors.TensorPrimitives.Max<float>(w));
                count += w.Length;
            }
        }

        if (count == 0) throw new ArgumentException("pretrainedWeights holds no weights; expected at least one.", nameof(pretrainedWeights));
        return FromRange(min, max, options);
    }

    /// <summary>As <see cref="FromWeights(IReadOnlyList{float[]}, GaussianMixturePriorOptions?)"/> for one tensor.</summary>
    public static GaussianMixturePrior FromWeights(float[] pretrainedWeights, GaussianMixturePriorOptions? options = null) =>
        FromWeights([pretrainedWeights], options);

    /// <summary>A prior whose J means are spread evenly over [min, max] (both included).</summary>
    public static GaussianMixturePrior FromRange(double min, double max, GaussianMixturePriorOptions? options = null)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(min < max))
            throw new ArgumentException($"The initial range must be finite with min < max, got [{min}, {max}].", nameof(min));
        return new GaussianMixturePrior(options ?? new GaussianMixturePriorOptions(), min, max);
    }

    public GaussianMixturePriorOptions Options { get; }

    /// <summary>J, the number of learned components.</summary>
    public int LearnedComponents => _j;

    /// <summary>J + 1, the zero component included.</summary>
    public int ComponentCount => _j + 1;

    /// <summary>μ_1..μ_J (μ_0 = 0 is fixed and not stored). Length J.</summary>
    public float[] Means { get; }

    public float[] MeanGradients { get; }

    /// <summary>s_j = log λ_j for j = 0..J; index 0 is the zero component. Length J + 1.</summary>
    public float[] LogPrecisions { get; }

    public float[] LogPrecisionGradients { get; }

    /// <summary>ρ_1..ρ_J, π_j = (1 − π0)·softmax(ρ)_j. Length J.</summary>
    public float[] MixingLogits { get; }

    public float[] MixingLogitGradients { get; }

    /// <summary>η with π0 = sigmoid(η), length 1; null when π0 is fixed.</summary>
    public float[]? ZeroMixingLogit { get; }

    public float[]? ZeroMixingLogitGradient { get; }

    /// <summary>The current π0 (fixed, or sigmoid of the learned logit).</summary>
    public double ZeroMixing => ZeroMixingLogit is { } eta ? BetaHyperPrior.Sigmoid(eta[0]) : Options.ZeroMixing;

    /// <summary>The parameter arrays with their gradients and names, for handing to an optimiser.</summary>
    public IReadOnlyList<PriorParameter> Parameters
    {
        get
        {
            var list = new List<PriorParameter>(4)
            {
                new("means", Means, MeanGradients),
                new("log_precisions", LogPrecisions, LogPrecisionGradients),
                new("mixing_logits", MixingLogits, MixingLogitGradients),
            };
            if (ZeroMixingLogit is not null) list.Add(new("zero_mixing_logit", ZeroMixingLogit, ZeroMixingLogitGradient!));
            return list;
        }
    }

    /// <summary>Clears every prior-parameter gradient array.</summary>
    public void ZeroGradients()
    {
        Array.Clear(MeanGradients);
        Array.Clear(LogPrecisionGradients);
        Array.Clear(MixingLogitGradients);
        if (ZeroMixingLogitGradient is not null) Array.Clear(ZeroMixingLogitGradient);
    }

    /// <summary>The current mixture as plain numbers, index 0 = the zero component (mean exactly 0).</summary>
    public MixtureComponent[] GetComponents()
    {
        LoadParameters();
        var result = new MixtureComponent[_j + 1];
        for (int k = 0; k <= _j; k++)
            result[k] = new MixtureComponent(_ws.MeansD[k], Math.Exp(_ws.LogPrecisionsD[k]), Math.Exp(_ws.LogMixingD[k]));
        return result;
    }

    /// <summary>
    /// L_C = −Σ_i log p(w_i) − log p(hyper) for one span holding all weights under the prior. Adds
    /// <paramref name="scale"/>·dL_C/dw into <paramref name="weightGrad"/> and scale·dL_C/dθ into the prior's
    /// gradient arrays (both accumulate). Returns L_C unscaled. In training, scale = τ/N (see the class remarks).
    /// </summary>
    public double Evaluate(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale) =>
        EvaluateDataTerm(weights, weightGrad, scale) + EvaluateHyperPrior(scale);

    /// <summary>
    /// L_C over several weight tensors (a network's layers), each with its gradient tensor: the data term of
    /// every tensor plus the hyper-prior once. Same accumulate/scale contract as the span overload.
    /// </summary>
    public double Evaluate(IReadOnlyList<Tensor> weights, float scale)
    {
        ArgumentNullException.ThrowIfNull(weights);
        double total = 0;
        for (int t = 0; t < weights.Count; t++)
        {
            var w = weights[t];
            var g = w.Grad ?? throw new ArgumentException($"weights[{t}] {w.Shape} has no gradient tensor; allocate Grad before evaluating the prior.", nameof(weights));
            total += EvaluateDataTerm(w.Data, g.Data, scale);
        }

        return total + EvaluateHyperPrior(scale);
    }

    /// <summary>
    /// The data part −Σ_i log Σ_j π_j N(w_i | μ_j, 1/λ_j) for one span (call once per tensor, then
    /// <see cref="EvaluateHyperPrior"/> once per step). Accumulates scale·gradients as Evaluate does.
    /// </summary>
    public double EvaluateDataTerm(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale) =>
        EvaluateDataTerm(weights, weightGrad, scale, vectorized: null);

    internal double EvaluateDataTerm(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale, bool? vectorized)
    {
        if (weightGrad.Length != weights.Length)
            throw new ArgumentException($"weightGrad has length {weightGrad.Length}, expected {weights.Length} (the length of weights).", nameof(weightGrad));
        if (!float.IsFinite(scale)) throw new ArgumentException($"scale must be finite, got {scale}.", nameof(scale));
        if (weights.IsEmpty) return 0;

        LoadParameters();
        MixtureLogLikelihoodKernel.Prepare(_ws);
        Array.Clear(_ws.Statistics);
        double logLik = vectorized switch
        {
            true => MixtureLogLikelihoodKernel.AccumulateVector(weights, weightGrad, scale, _ws),
            false => MixtureLogLikelihoodKernel.AccumulateScalar(weights, weightGrad, scale, _ws),
            null => MixtureLogLikelihoodKernel.Accumulate(weights, weightGrad, scale, _ws),
        };
        if (!double.IsFinite(logLik)) ThrowNonFinite(weights, logLik);

        AccumulateParameterGradients(scale);
        return -logLik;
    }

    /// <summary>
    /// −log p(hyper): Σ_j Gamma terms on λ_j and, when π0 is learned, the Beta term on π0. Adds scale·gradient
    /// into the log-precision (and π0-logit) gradients; returns the unscaled value (0 without hyper-priors).
    /// </summary>
    public double EvaluateHyperPrior(float scale)
    {
        double value = 0;
        for (int k = 0; k <= _j; k++)
        {
            GammaHyperPrior? prior = k == 0 ? Options.ZeroPrecisionPrior : Options.PrecisionPrior;
            if (prior is not { } g) continue;
            double s = LogPrecisions[k];
            value += g.NegativeLogDensity(s);
            LogPrecisionGradients[k] = (float)(LogPrecisionGradients[k] + scale * g.Derivative(s));
        }

        if (ZeroMixingLogit is { } eta && Options.ZeroMixingPrior is { } beta)
        {
            value += beta.NegativeLogDensity(eta[0]);
            ZeroMixingLogitGradient![0] = (float)(ZeroMixingLogitGradient[0] + scale * beta.Derivative(eta[0]));
        }

        return value;
    }

    /// <summary>
    /// Copies the float parameters into double, with log π_j: log π0 and log(1 − π0) via log-sigmoid when π0 is
    /// learned, and log softmax(ρ) with the maximum subtracted.
    /// </summary>
    private void LoadParameters()
    {
        CheckFinite(Means, "Means");
        CheckFinite(LogPrecisions, "LogPrecisions");
        CheckFinite(MixingLogits, "MixingLogits");
        for (int k = 0; k <= _j; k++)
        {
            // e^{±80} still fits a float precision and its square root; beyond that the mixture is degenerate.
            if (Math.Abs(LogPrecisions[k]) > 80)
                throw new InvalidOperationException($"LogPrecisions[{k}] = {LogPrecisions[k]} is outside [-80, 80]; the prior has diverged (try a smaller learning rate for the log-precisions).");
        }

        double logPi0, logRest;
        if (ZeroMixingLogit is { } eta)
        {
            CheckFinite(eta, "ZeroMixingLogit");
            logPi0 = BetaHyperPrior.LogSigmoid(eta[0]);
            logRest = BetaHyperPrior.LogSigmoid(-eta[0]);
        }
        else
        {
            logPi0 = Math.Log(Options.ZeroMixing);
            logRest = Math.Log(1 - Options.ZeroMixing);
        }

        double rhoMax = double.NegativeInfinity;
        for (int k = 0; k < _j; k++) rhoMax = Math.Max(rhoMax, MixingLogits[k]);
        double z = 0;
        for (int k = 0; k < _j; k++) z += Math.Exp(MixingLogits[k] - rhoMax);
        double logZ = rhoMax + Math.Log(z);

        _ws.MeansD[0] = 0;
        _ws.LogPrecisionsD[0] = LogPrecisions[0];
        _ws.LogMixingD[0] = logPi0;
        for (int k = 1; k <= _j; k++)
        {
            _ws.MeansD[k] = Means[k - 1];
            _ws.LogPrecisionsD[k] = LogPrecisions[k];
            double logSoftmax = MixingLogits[k - 1] - logZ;
            _ws.SoftmaxD[k] = Math.Exp(logSoftmax);
            _ws.LogMixingD[k] = logRest + logSoftmax;
        }
    }

    /// <summary>
    /// Chain rule from the statistics S0_j = Σ r_ij, S1_j = Σ r_ij d_ij, S2_j = Σ r_ij d_ij² (d = w − μ_j):
    /// dL/dμ_j = −λ_j S1_j; dL/ds_j = −½ S0_j + ½ λ_j S2_j; dL/dρ_k = −S0_k + softmax(ρ)_k Σ_{j≥1} S0_j;
    /// dL/dη = −S0_0 (1 − π0) + π0 Σ_{j≥1} S0_j.
    /// </summary>
    private void AccumulateParameterGradients(float scale)
    {
        int k1 = _j + 1;
        var st = _ws.Statistics;
        double learnedMass = 0;
        for (int k = 1; k <= _j; k++) learnedMass += st[k];

        for (int k = 0; k <= _j; k++)
        {
            double lambda = Math.Exp(_ws.LogPrecisionsD[k]);
            double ds = -0.5 * st[k] + 0.5 * lambda * st[2 * k1 + k];
            LogPrecisionGradients[k] = (float)(LogPrecisionGradients[k] + scale * ds);
            if (k == 0) continue;
            MeanGradients[k - 1] = (float)(MeanGradients[k - 1] + scale * (-lambda * st[k1 + k]));
            MixingLogitGradients[k - 1] = (float)(MixingLogitGradients[k - 1] + scale * (-st[k] + _ws.SoftmaxD[k] * learnedMass));
        }

        if (ZeroMixingLogitGradient is not null)
        {
            double pi0 = Math.Exp(_ws.LogMixingD[0]);
            ZeroMixingLogitGradient[0] = (float)(ZeroMixingLogitGradient[0] + scale * (-st[0] * (1 - pi0) + pi0 * learnedMass));
        }
    }

    private static void CheckFinite(float[] values, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new InvalidOperationException($"Prior parameter {name}[{i}] is {values[i]}; expected a finite value (the prior has diverged).");
        }
    }

    private static void ThrowNonFinite(ReadOnlySpan<float> weights, double logLik)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            if (!float.IsFinite(weights[i]))
                throw new ArgumentException($"weights[{i}] is {weights[i]}; weights must be finite.", nameof(weights));
        }

        throw new ArgumentException($"The mixture log-likelihood is {logLik}: some weight is too far from every component (|w − μ|·√λ beyond ~1e19).", nameof(weights));
    }
}

/// <summary>A named prior-parameter array and its gradient array (same length), for optimiser parameter groups.</summary>
public sealed record PriorParameter(string Name, float[] Values, float[] Gradients);
