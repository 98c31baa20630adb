using Knot.Training;

namespace Knot.Compression.Growl;

/// <summary>Attaches a proximal regularizer to a training request: the one place train, growl, compare and sweep build it.</summary>
public static class RegularizedTraining
{
    /// <summary>
    /// The request with a <see cref="ProximalHook"/> on the regularizer's target layers and the regularizer recorded in the
    /// checkpoint metadata ("regularizer"); unchanged when <paramref name="regularizer"/> is none.
    /// </summary>
    public static TrainRequest WithRegularizer(this TrainRequest request, RegularizerSpec regularizer, int trainingSamples)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(regularizer);
        if (regularizer.IsNone) return request;
        int steps = (trainingSamples + request.BatchSize - 1) / request.BatchSize;
        var metadata = request.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(request.Metadata);
        metadata["regularizer"] = regularizer.Describe();
        return request with
        {
            Hooks = model => [new ProximalHook(regularizer, regularizer.Targets(request.Spec.Name, model), steps, model)],
            Metadata = metadata,
        };
    }
}
