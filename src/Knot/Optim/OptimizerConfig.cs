using System.Text.Json;
using Knot.Nn;

namespace Knot.Optim;

/// <summary>How to build an optimizer and its schedule; serialised into checkpoints so `--resume` rebuilds it.</summary>
public sealed record OptimizerConfig(string Kind = "sgd", float LearningRate = 0.01f, float Momentum = 0.9f, bool Nesterov = false,
    float WeightDecay = 0f, string Schedule = "constant")
{
    public static readonly string[] Kinds = ["sgd", "adam", "adamw"];

    public Optimizer Create(IEnumerable<Parameter> parameters)
    {
        Validate();
        return Kind switch
        {
            "sgd" => new Sgd([new ParameterGroup(parameters, LearningRate, WeightDecay, "weights")], Momentum, Nesterov),
            "adam" => new Adam([new ParameterGroup(parameters, LearningRate, WeightDecay, "weights")]),
            "adamw" => new Adam([new ParameterGroup(parameters, LearningRate, WeightDecay, "weights")], decoupledWeightDecay: true),
            _ => throw new ArgumentException($"Unknown optimizer '{Kind}'. Known: {string.Join(", ", Kinds)}."),
        };
    }

    public LearningRateSchedule CreateSchedule(int epochs) => LearningRateSchedule.Parse(Schedule, Math.Max(1, epochs));

    public void Validate()
    {
        if (!Kinds.Contains(Kind)) throw new ArgumentException($"Unknown optimizer '{Kind}'. Known: {string.Join(", ", Kinds)}.");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be a positive number, got {LearningRate}.");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw new ArgumentException($"--weight-decay must be >= 0, got {WeightDecay}.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}.");
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static OptimizerConfig FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<OptimizerConfig>(json) ?? throw new InvalidDataException($"{source}: empty optimizer config.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: optimizer config is not valid JSON ({e.Message}).", e);
        }
    }
}
