using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// How a freshly built network's Linear and Conv2d layers are initialised (BatchNorm keeps γ = 1, β = 0).
/// The scale matters for proximal regularizers: the prox subtracts an absolute amount μ·λ from each group's norm,
/// so the same λ removes far fewer groups from a network whose groups start 4× larger.
/// </summary>
public enum WeightInitScheme
{
    /// <summary>PyTorch's default: weights and biases U(±1/√fan_in). A fc1 column of growl-mnist starts at norm ≈ 0.36.</summary>
    PyTorch,

    /// <summary>
    /// The GrOWL paper's TensorFlow code: weights N(0, 2/fan_out) with fan_out = output units (kh·kw·C_out for a
    /// convolution), biases 0.1. A fc1 column of growl-mnist (300 outputs) starts at norm ≈ 1.41.
    /// </summary>
    GrowlReference,

    /// <summary>He/Kaiming normal on fan_in, N(0, 2/fan_in), zero biases.</summary>
    KaimingNormal,
}

public static class WeightInit
{
    public static string Name(WeightInitScheme scheme) => scheme switch
    {
        WeightInitScheme.PyTorch => "pytorch",
        WeightInitScheme.GrowlReference => "growl-reference",
        WeightInitScheme.KaimingNormal => "kaiming-normal",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, null),
    };

    public static readonly IReadOnlyList<string> Names = Enum.GetValues<WeightInitScheme>().Select(Name).ToArray();

    public static WeightInitScheme Parse(string text)
    {
        string name = text.Trim().ToLowerInvariant();
        foreach (var scheme in Enum.GetValues<WeightInitScheme>())
            if (Name(scheme) == name) return scheme;
        throw new ArgumentException($"--init: unknown scheme '{text}'. Known: {string.Join(", ", Names)}.");
    }

    /// <summary>
    /// Re-initialises every Linear and Conv2d of <paramref name="model"/> in module order from <paramref name="rng"/>.
    /// PyTorch leaves the model as built (the zoo already initialises that way), so existing seeded runs keep their bits.
    /// </summary>
    public static void Apply(Module model, WeightInitScheme scheme, KnotRandom rng)
    {
        if (scheme == WeightInitScheme.PyTorch) return;
        foreach (var (_, module) in model.NamedModules())
        {
            var (weight, bias, fanIn, fanOut) = module switch
            {
                Linear l => (l.Weight, l.Bias, l.InFeatures, l.OutFeatures),
                Conv2d c => (c.Weight, c.Bias, c.InChannels * c.KernelSize * c.KernelSize, c.OutChannels * c.KernelSize * c.KernelSize),
                _ => default((Parameter?, Parameter?, int, int)),
            };
            if (weight is null) continue;
            float std = scheme == WeightInitScheme.GrowlReference ? MathF.Sqrt(2f / fanOut) : MathF.Sqrt(2f / fanIn);
            Init.Normal(weight.Data, 0f, std, rng);
            if (bias is not null) bias.Data.Fill(scheme == WeightInitScheme.GrowlReference ? 0.1f : 0f);
        }
    }
}
