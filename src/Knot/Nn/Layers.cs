using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>y = x·Wᵀ + b, W of shape (out, in) like PyTorch.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, KnotRandom rng, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: features must be > 0, got in={inFeatures}, out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        Init.PyTorchDefault(Weight.Data, inFeatures, rng);
        if (bias)
        {
            Bias = AddParameter("bias", Tensor.Zeros(outFeatures));
            Init.PyTorchDefault(Bias.Data, inFeatures, rng);
        }
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        var x = input.Rank == 2 ? input : Op.Flatten(input);
        return Op.Linear(x, Weight.Value, Bias?.Value);
    }
}

public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => Op.Relu(input);
}

public sealed class Flatten : Module
{
    public override Tensor Forward(Tensor input) => Op.Flatten(input);
}
