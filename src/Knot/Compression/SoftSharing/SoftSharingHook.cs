using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Compression.SoftSharing;

/// <summary>Settings of soft weight-sharing retraining that the hook owns (the prior's own settings live in
/// <see cref="GaussianMixturePriorOptions"/>). Defaults follow the public SWS tutorial (METHODS.md §2).</summary>
public sealed record SoftSharingHookOptions
{
    /// <summary>τ: weight of the complexity loss; each batch minimises CE_mean + (τ/N)·L_C.</summary>
    public float Tau { get; init; } = 0.003f;

    /// <summary>N, the number of training samples (the τ/N scaling turns the per-batch mean CE into the paper's objective).</summary>
    public required int TrainingSetSize { get; init; }

    /// <summary>Adam learning rate of the means μ_j (tutorial: 1e-4).</summary>
    public float MeanLearningRate { get; init; } = 1e-4f;

    /// <summary>Adam learning rate of the log-precisions (tutorial: 3e-3).</summary>
    public float LogPrecisionLearningRate { get; init; } = 3e-3f;

    /// <summary>Adam learning rate of the mixing logits, π0's logit included (tutorial: 3e-3).</summary>
    public float MixingLearningRate { get; init; } = 3e-3f;

    /// <summary>Epochs over which τ ramps up linearly from ~0 to its full value (0 = full τ from the first step).</summary>
    public int TauWarmupEpochs { get; init; }

    /// <summary>Assignment rule used for the per-epoch "non-zero if snapped now" metric.</summary>
    public ComponentAssignment Assignment { get; init; } = ComponentAssignment.MaximumAPosteriori;

    /// <summary>KL threshold used when counting effective components per epoch.</summary>
    public double MergeKlThreshold { get; init; } = MixtureMerging.TutorialKlThreshold;

    public void Validate()
    {
        if (!float.IsFinite(Tau) || Tau < 0) throw new ArgumentException($"Tau must be finite and >= 0, got {Tau}.", nameof(Tau));
        if (TrainingSetSize < 1) throw new ArgumentException($"TrainingSetSize must be >= 1, got {TrainingSetSize}.", nameof(TrainingSetSize));
        CheckRate(MeanLearningRate, nameof(MeanLearningRate));
        CheckRate(LogPrecisionLearningRate, nameof(LogPrecisionLearningRate));
        CheckRate(MixingLearningRate, nameof(MixingLearningRate));
        if (TauWarmupEpochs < 0) throw new ArgumentException($"TauWarmupEpochs must be >= 0, got {TauWarmupEpochs}.", nameof(TauWarmupEpochs));
        if (double.IsNaN(MergeKlThreshold) || MergeKlThreshold < 0)
            throw new ArgumentException($"MergeKlThreshold must be >= 0, got {MergeKlThreshold}.", nameof(MergeKlThreshold));
    }

    private static void CheckRate(float value, string name)
    {
        if (!float.IsFinite(value) || value < 0) throw new ArgumentException($"{name} must be finite and >= 0, got {value}.", name);
    }
}

/// <summary>
/// Soft weight-sharing as a training hook: after each backward pass it adds (τ/N)·dL_C/dw of the Gaussian-mixture
/// prior to the gradients of the covered weights, and after the weights' optimizer step it updates the prior's own
/// parameters with a separate Adam holding three parameter groups (means, log-precisions, mixing) — with the
/// trainer's optimizer for the weights that makes the four groups of the SWS recipe. The prior's gradient arrays
/// are aliased as the parameters' gradients, so evaluating the prior feeds its Adam directly.
/// </summary>
public sealed class SoftSharingHook : ITrainingHook
{
    private readonly Tensor[] _weights;
    private readonly Adam _priorOptimizer;
    private double _epochPriorLoss;
    private long _epochSteps;

    public SoftSharingHook(GaussianMixturePrior prior, IReadOnlyList<Tensor> weights, SoftSharingHookOptions options)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (weights.Count == 0) throw new ArgumentException("weights is empty; the prior needs at least one tensor to cover.", nameof(weights));
        Prior = prior;
        Options = options;
        _weights = [.. weights];

        var mixing = new List<Parameter> { Wrap(prior.MixingLogits, prior.MixingLogitGradients) };
        if (prior.ZeroMixingLogit is { } eta) mixing.Add(Wrap(eta, prior.ZeroMixingLogitGradient!));
        _priorOptimizer = new Adam(
        [
            new ParameterGroup([Wrap(prior.Means, prior.MeanGradients)], options.MeanLearningRate, 0, "sws.means"),
            new ParameterGroup([Wrap(prior.LogPrecisions, prior.LogPrecisionGradients)], options.LogPrecisionLearningRate, 0, "sws.log_precisions"),
            new ParameterGroup(mixing, options.MixingLearningRate, 0, "sws.mixing"),
        ]);
    }

    public GaussianMixturePrior Prior { get; }

    public SoftSharingHookOptions Options { get; }

    /// <summary>The tensors under the prior.</summary>
    public IReadOnlyList<Tensor> Weights => _weights;

    /// <summary>The Adam that trains the prior (three groups: means, log-precisions, mixing).</summary>
    public Optimizer PriorOptimizer => _priorOptimizer;

    /// <summary>L_C (unscaled) of the last step.</summary>
    public double LastComplexityLoss { get; private set; } = double.NaN;

    /// <summary>
    /// The tensors a prior covers by default: every parameter of rank ≥ 2 (fully connected and convolution
    /// weights), plus the rank-1 ones (biases, batch-norm scales) when <paramref name="includeBiases"/>.
    /// </summary>
    public static List<(string Name, Parameter Parameter)> SelectWeights(Module model, bool includeBiases = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.NamedParameters().Where(p => includeBiases || p.Parameter.Value.Shape.Rank >= 2).ToList();
    }

    /// <summary>τ for this step: the full value, or during warm-up τ·(steps done + 1)/(warm-up steps).</summary>
    public float CurrentTau(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Options.TauWarmupEpochs == 0) return Options.Tau;
        double warmupSteps = (double)Options.TauWarmupEpochs * Math.Max(1, context.StepsPerEpoch);
        double done = (double)context.Epoch * Math.Max(1, context.StepsPerEpoch) + context.StepInEpoch + 1;
        return (float)(Options.Tau * Math.Min(1.0, done / warmupSteps));
    }

    public double AfterBackward(StepContext context)
    {
        float scale = CurrentTau(context) / Options.TrainingSetSize;
        Prior.ZeroGradients();
        for (int t = 0; t < _weights.Length; t++)
        {
            // A covered tensor that took no part in this batch's graph still gets the prior's pull.
            if (_weights[t].Grad is null) _weights[t].Grad = new Tensor(_weights[t].Shape, new float[_weights[t].Length]);
        }

        double lc = Prior.Evaluate(_weights, scale);
        LastComplexityLoss = lc;
        double term = scale * lc;
        _epochPriorLoss += term;
        _epochSteps++;
        return term;
    }

    public void AfterStep(StepContext context) => _priorOptimizer.Step();

    public void AfterEpoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var components = Prior.GetComponents();
        var merged = MixtureMerging.Merge(components, Options.MergeKlThreshold);
        var snapped = SoftSharingQuantizer.Quantize(_weights.Select(w => w.Data).ToList(), merged, Options.Assignment);
        record.Extra["sws.prior_loss"] = _epochSteps > 0 ? _epochPriorLoss / _epochSteps : double.NaN;
        record.Extra["sws.complexity_loss"] = LastComplexityLoss;
        record.Extra["sws.components"] = merged.Length;
        record.Extra["sws.codebook_size"] = snapped.DistinctValues;
        record.Extra["sws.nonzero_fraction"] = snapped.NonZeroFraction;
        record.Extra["sws.pi0"] = Prior.ZeroMixing;
        record.Extra["sws.zero_sigma"] = components[0].StandardDeviation;
        _epochPriorLoss = 0;
        _epochSteps = 0;
    }

    private static Parameter Wrap(float[] values, float[] gradients)
    {
        var p = new Parameter(Tensor.FromArray(values, values.Length));
        p.Value.Grad = Tensor.FromArray(gradients, gradients.Length);
        return p;
    }
}
