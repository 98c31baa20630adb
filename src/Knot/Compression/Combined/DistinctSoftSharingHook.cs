using Knot.Compression.SoftSharing;
using Knot.Training;

namespace Knot.Compression.Combined;

/// <summary>
/// Soft weight-sharing over the distinct weights of a GrOWL-structured model: the inner <see cref="SoftSharingHook"/>
/// sees only <see cref="DistinctWeights.Compact"/> (tied groups once, removed weights not at all), and its gradient is
/// routed back to the representatives before the parameters' constraints run (see <see cref="DistinctWeights"/>).
/// </summary>
public sealed class DistinctSoftSharingHook : ITrainingHook
{
    public DistinctSoftSharingHook(SoftSharingHook inner, DistinctWeights view)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(view);
        if (inner.Weights.Count != view.Compact.Count || inner.Weights.Where((w, t) => !ReferenceEquals(w, view.Compact[t])).Any())
            throw new ArgumentException("The inner hook must cover exactly the view's compact tensors, in order.", nameof(inner));
        Inner = inner;
        View = view;
    }

    public SoftSharingHook Inner { get; }

    public DistinctWeights View { get; }

    public double AfterBackward(StepContext context)
    {
        View.Gather();
        View.ClearGradients();
        double term = Inner.AfterBackward(context);
        View.AddGradients();
        return term;
    }

    public void AfterStep(StepContext context) => Inner.AfterStep(context);

    public void AfterEpoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        View.Gather(); // the compact copy still holds the values before the epoch's last step
        Inner.AfterEpoch(record);
        record.Extra["sws.distinct_weights"] = View.DistinctCount;
    }
}
