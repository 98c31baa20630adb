using Knot.Nn;
using Knot.Optim;

namespace Knot.Training;

/// <summary>
/// Where compression plugs into training. Smooth penalties (weight decay variants, the soft weight-sharing
/// prior) add their gradient in <see cref="AfterBackward"/> and return their loss term; non-smooth
/// regularizers (ℓ1, group Lasso, OWL, GrOWL) apply their proximal operator in <see cref="AfterStep"/> with
/// the step's learning rate. Structural constraints on parameters are handled by the trainer itself.
/// </summary>
public interface ITrainingHook
{
    /// <summary>After loss.Backward(), before constraints and the optimizer step. Returns a loss term to report (0 if none).</summary>
    double AfterBackward(StepContext context) => 0;

    /// <summary>Right after optimizer.Step() (and before constraints are re-imposed).</summary>
    void AfterStep(StepContext context) { }

    /// <summary>After each epoch's evaluation; may add named metrics (e.g. sparsity) to the epoch record.</summary>
    void AfterEpoch(EpochRecord record) { }

    /// <summary>
    /// Once, before the first step, when the run continues a checkpoint (resume): rebuild state the checkpoint does not
    /// hold from the weights it does, so the run goes on exactly as if it had not stopped. Not called for a run that
    /// merely starts from other weights (a warm start), which begins afresh.
    /// </summary>
    void Resuming() { }

    /// <summary>
    /// True when this epoch's last step changed weights after the forward pass in a way that leaves BatchNorm running
    /// statistics stale (a once-per-epoch proximal step); the trainer then re-estimates them
    /// (<see cref="BatchNormCalibration"/>) before it evaluates.
    /// </summary>
    bool StaleBatchNormStatistics => false;
}

/// <summary>What a hook sees at a training step.</summary>
public sealed class StepContext
{
    internal StepContext(Module model, Optimizer optimizer) { Model = model; Optimizer = optimizer; }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public int Epoch { get; internal set; }
    public int StepInEpoch { get; internal set; }
    public int StepsPerEpoch { get; internal set; }
    public long GlobalStep { get; internal set; }
    public int BatchSize { get; internal set; }

    /// <summary>The learning rate of the optimizer's first group for this step.</summary>
    public float LearningRate => Optimizer.Groups[0].LearningRate;
}
