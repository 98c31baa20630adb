using Knot.Nn;

namespace Knot.Optim;

/// <summary>A set of parameters sharing hyper-parameters (PyTorch's param_groups).</summary>
public sealed class ParameterGroup
{
    public ParameterGroup(IEnumerable<Parameter> parameters, float learningRate, float weightDecay = 0f, string name = "")
    {
        Parameters = parameters.ToArray();
        if (!float.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"Learning rate of group '{name}' must be finite and >= 0.");
        if (!float.IsFinite(weightDecay) || weightDecay < 0)
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"Weight decay of group '{name}' must be finite and >= 0.");
        BaseLearningRate = learningRate;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Name = name;
    }

    public IReadOnlyList<Parameter> Parameters { get; }
    public string Name { get; }

    /// <summary>The learning rate the group was created with; schedules scale from it.</summary>
    public float BaseLearningRate { get; }

    /// <summary>The learning rate used by the next step (a schedule may change it each epoch).</summary>
    public float LearningRate { get; set; }

    public float WeightDecay { get; set; }
}
