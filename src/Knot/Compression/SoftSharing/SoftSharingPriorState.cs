using System.Text.Json;

namespace Knot.Compression.SoftSharing;

/// <summary>
/// A trained <see cref="GaussianMixturePrior"/>'s parameter arrays as JSON, so that a retrained checkpoint can be
/// quantized again later with the very prior it was trained with.
/// </summary>
public static class SoftSharingPriorState
{
    private sealed record State(int Components, double ZeroMixing, bool LearnZeroMixing, float[] Means, float[] LogPrecisions, float[] MixingLogits, float[]? ZeroMixingLogit);

    public static string Save(GaussianMixturePrior prior)
    {
        ArgumentNullException.ThrowIfNull(prior);
        return JsonSerializer.Serialize(new State(prior.LearnedComponents, prior.Options.ZeroMixing, prior.Options.LearnZeroMixing,
            prior.Means, prior.LogPrecisions, prior.MixingLogits, prior.ZeroMixingLogit));
    }

    /// <summary>
    /// Rebuilds the prior: the component count and π0 settings come from the saved state, the hyper-priors and σ
    /// settings from <paramref name="options"/>. Throws InvalidDataException naming <paramref name="source"/> on bad JSON.
    /// </summary>
    public static GaussianMixturePrior Restore(string json, GaussianMixturePriorOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        State state;
        try { state = JsonSerializer.Deserialize<State>(json) ?? throw new InvalidDataException($"{source}: metadata 'sws.prior' is empty."); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: metadata 'sws.prior' is not valid JSON ({e.Message}).", e); }
        int j = state.Components;
        if (j < 1 || state.Means?.Length != j || state.LogPrecisions?.Length != j + 1 || state.MixingLogits?.Length != j
            || state.LearnZeroMixing != (state.ZeroMixingLogit is { Length: 1 }))
            throw new InvalidDataException($"{source}: metadata 'sws.prior' is inconsistent: {j} components need {j} means, {j + 1} log-precisions, {j} mixing logits and a π0 logit exactly when π0 is learned.");
        var prior = GaussianMixturePrior.FromRange(-1, 1, options with { LearnedComponents = j, ZeroMixing = state.ZeroMixing, LearnZeroMixing = state.LearnZeroMixing });
        state.Means.CopyTo(prior.Means, 0);
        state.LogPrecisions.CopyTo(prior.LogPrecisions, 0);
        state.MixingLogits.CopyTo(prior.MixingLogits, 0);
        if (state.ZeroMixingLogit is { } eta) eta.CopyTo(prior.ZeroMixingLogit!, 0);
        return prior;
    }
}
