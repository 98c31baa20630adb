using Knot.Nn;
using Knot.Tensors;

namespace Knot.Optim;

/// <summary>
/// Base of the optimizers. Step() applies one update to every parameter with a gradient, following
/// PyTorch's update rules exactly (documented per optimizer). State is exposed as named tensors for
/// checkpoints: "{group}.{index}.{slot}".
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<ParameterGroup> groups)
    {
        Groups = groups.ToArray();
        if (Groups.Count == 0) throw new ArgumentException("An optimizer needs at least one parameter group.", nameof(groups));
    }

    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>Number of steps taken so far.</summary>
    public long StepCount { get; protected set; }

    public abstract void Step();

    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) p.ZeroGrad();
    }

    /// <summary>Scales every group's learning rate: lr = base · factor (used by schedules).</summary>
    public void SetLearningRateFactor(float factor)
    {
        foreach (var g in Groups) g.LearningRate = g.BaseLearningRate * factor;
    }

    /// <summary>Optimizer state (moment buffers etc.) as named tensors, for checkpoints.</summary>
    public abstract IEnumerable<(string Name, Tensor State)> StateTensors();

    /// <summary>Restores state saved by <see cref="StateTensors"/>; validates names and shapes.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        foreach (var (name, tensor) in StateTensors())
        {
            if (!state.TryGetValue(name, out var saved))
                throw new InvalidDataException($"Optimizer state '{name}' is missing from the checkpoint.");
            if (saved.Length != tensor.Length)
                throw new InvalidDataException($"Optimizer state '{name}' has {saved.Length} values, expected {tensor.Length}.");
            saved.Data.AsSpan().CopyTo(tensor.Data);
        }
        StepCount = stepCount;
        OnStateLoaded();
    }

    protected virtual void OnStateLoaded() { }

    protected static float[][] CreateSlots(ParameterGroup g) => g.Parameters.Select(p => new float[p.Value.Length]).ToArray();
}
