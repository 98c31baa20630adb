namespace Knot.Comparison;

/// <summary>
/// One row of a comparison: runs a compression method on the context's model and data and leaves a real .knot file
/// behind. Adding a method is one small subclass plus its line in <see cref="ComparisonMethods.All"/>.
/// </summary>
public abstract class ComparisonMethod
{
    /// <summary>The row's name, also its artifact directory and its --methods spelling.</summary>
    public abstract string Name { get; }

    /// <summary>True when the method compresses the pretrained network (<see cref="ComparisonContext.PretrainedCheckpoint"/>), which must exist first.</summary>
    public virtual bool UsesPretrained => false;

    /// <summary>
    /// The `knot` command line(s) that reproduce this row on their own. Also the artifact's identity: an artifact made by a
    /// different command (other epochs, seed, λ) is stale and re-run.
    /// </summary>
    public abstract string Command(ComparisonContext context);

    /// <summary>Runs the method and writes the packed model to <paramref name="knotPath"/>; returns the epochs it used, in words ("20 + 5 retrain").</summary>
    public abstract string Run(ComparisonContext context, string knotPath);

    public string KnotPath(ComparisonContext context) => Path.Combine(context.MethodDirectory(Name), "model.knot");

    protected string CheckpointPath(ComparisonContext context) => Path.Combine(context.MethodDirectory(Name), "model.ckpt");
}
