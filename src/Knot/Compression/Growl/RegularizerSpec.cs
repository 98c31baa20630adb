using System.Globalization;
using Knot.Compression.Proximal;
using Knot.Nn;

namespace Knot.Compression.Growl;

/// <summary>
/// A non-smooth regularizer and its strength. λ is given in the GrOWL paper's "per-epoch prox" units by
/// default: the paper applied the prox once per epoch with μ = lr·λ; Knot applies it every step with
/// μ = lr·λ/B (B = steps per epoch), the same shrinkage per epoch but smoother. With
/// <see cref="LambdaPerStep"/> λ is used as is: μ = lr·λ every step.
/// </summary>
public sealed record RegularizerSpec
{
    public static readonly string[] Kinds = ["none", "l1", "group-lasso", "owl", "growl"];
    public static readonly string[] Families = ["pld", "oscar", "spike", "group-lasso"];

    public string Kind { get; init; } = "growl";

    /// <summary>λ family for OWL/GrOWL: pld (stairwise, the paper's), oscar (linear), spike, group-lasso.</summary>
    public string Family { get; init; } = "pld";

    public double Lambda1 { get; init; } = 12;
    public double Lambda2 { get; init; } = 0.235;

    /// <summary>
    /// Per-layer Λ1 / Λ2 by layer name ("conv2"), overriding <see cref="Lambda1"/> / <see cref="Lambda2"/> for that
    /// layer (the paper's VGG-16 used a Λ1 per layer; a convolution's few large channel groups need a different strength
    /// than a Linear layer's many small ones). Names that match no regularized layer are an error.
    /// </summary>
    public IReadOnlyDictionary<string, double> LayerLambda1 { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double> LayerLambda2 { get; init; } = new Dictionary<string, double>();
    public double Rho { get; init; } = 0.5;
    public bool LambdaPerStep { get; init; }

    /// <summary>Apply the prox every K steps (μ scaled by K); <see cref="OncePerEpoch"/> (0) applies it after each epoch's last step, like the paper's reference code.</summary>
    public int Every { get; init; } = 1;

    public const int OncePerEpoch = 0;

    /// <summary>
    /// After each prox, scale every regularized weight and its layer's bias back to the Frobenius norm the weight had
    /// before the prox (dead groups stay exactly zero). For layers whose output is normalized next (growl-mnist's fc1 →
    /// ReLU → BatchNorm): there the loss cannot tell a uniformly shrunk layer from the original, so the penalty can be
    /// lowered for free by shrinking everything, the gradient never resists, and all groups end in one equal-norm block
    /// that dies in a single prox step. Restoring the scale (which leaves such a layer's function unchanged) removes that
    /// free direction: a group then dies only when the data stop defending it against the others.
    /// </summary>
    public bool PreserveScale { get; init; }

    /// <summary>Parameter names to regularize (e.g. "fc1.weight"); null: the model's default.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    public bool IsNone => Kind == "none";

    public void Validate()
    {
        if (!Kinds.Contains(Kind)) throw new ArgumentException($"--reg: unknown regularizer '{Kind}'. Known: {string.Join(", ", Kinds)}.");
        if (!Families.Contains(Family)) throw new ArgumentException($"--lambda-family: unknown family '{Family}'. Known: {string.Join(", ", Families)}.");
        if (!(Lambda1 > 0) || !double.IsFinite(Lambda1)) throw new ArgumentException($"--lambda1 must be > 0, got {Lambda1}.");
        if (!(Lambda2 >= 0) || !double.IsFinite(Lambda2)) throw new ArgumentException($"--lambda2 must be >= 0, got {Lambda2}.");
        foreach (var (layer, v) in LayerLambda1)
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"--lambda1 of {layer} must be > 0, got {v}.");
        foreach (var (layer, v) in LayerLambda2)
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"--lambda2 of {layer} must be >= 0, got {v}.");
        if (!(Rho > 0 && Rho <= 1)) throw new ArgumentException($"--rho must be in (0, 1], got {Rho}.");
        if (Every < 0) throw new ArgumentException($"--prox-every must be 'epoch' or a number of steps >= 1, got {Every}.");
    }

    /// <summary>Default targets: growl-mnist regularizes fc1 only (the paper); other nets every FC/conv weight with ≥ 2 input groups.</summary>
    public static List<(string Name, Parameter Parameter)> DefaultTargets(string modelName, Module model)
    {
        var weights = model.NamedParameters().Where(p => p.Name.EndsWith(".weight", StringComparison.Ordinal) && p.Parameter.Shape.Rank >= 2).ToList();
        if (modelName == "growl-mnist") return weights.Where(p => p.Name == "fc1.weight").ToList();
        return weights.Where(p => p.Parameter.Shape[1] >= 2).ToList();
    }

    public List<(string Name, Parameter Parameter)> Targets(string modelName, Module model)
    {
        var targets = ChosenTargets(modelName, model);
        foreach (var layer in LayerLambda1.Keys.Concat(LayerLambda2.Keys))
        {
            if (!targets.Any(t => t.Name == layer + ".weight"))
                throw new ArgumentException($"--lambda1/--lambda2 name layer '{layer}', which is not regularized. Regularized: {string.Join(", ", targets.Select(t => LayerOf(t.Name)))}.");
        }
        return targets;
    }

    private List<(string Name, Parameter Parameter)> ChosenTargets(string modelName, Module model)
    {
        if (Layers is null) return DefaultTargets(modelName, model);
        var all = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        var result = new List<(string, Parameter)>();
        foreach (var raw in Layers)
        {
            string name = raw.EndsWith(".weight", StringComparison.Ordinal) ? raw : raw + ".weight";
            if (!all.TryGetValue(name, out var p) || p.Shape.Rank < 2)
                throw new ArgumentException($"--layers: '{raw}' is not a FC or conv weight of {modelName}. Candidates: {string.Join(", ", DefaultTargets("", model).Select(t => LayerOf(t.Name)))}.");
            result.Add((name, p));
        }
        return result;
    }

    /// <summary>The layer a weight tensor belongs to ("conv2.weight" → "conv2"); other names unchanged.</summary>
    public static string LayerOf(string parameterName) =>
        parameterName.EndsWith(".weight", StringComparison.Ordinal) ? parameterName[..^".weight".Length] : parameterName;

    /// <summary>Λ1 and Λ2 of one weight tensor ("conv2.weight"): its layer's override, else the default.</summary>
    public (double Lambda1, double Lambda2) LambdasFor(string? parameterName)
    {
        string layer = parameterName is null ? "" : LayerOf(parameterName);
        return (LayerLambda1.TryGetValue(layer, out var l1) ? l1 : Lambda1, LayerLambda2.TryGetValue(layer, out var l2) ? l2 : Lambda2);
    }

    /// <summary>The proximal operator for one weight tensor (named, for per-layer λ).</summary>
    public IProximalOperator CreateOperator(Parameter weight, string? name = null)
    {
        var layout = new GroupLayout(weight.Shape);
        var (l1, l2) = LambdasFor(name);
        return Kind switch
        {
            "l1" => new L1Proximal(weight.Value.Length, (float)l1),
            "group-lasso" => new GroupLassoProximal(layout, (float)l1),
            "growl" => new GrowlProximal(layout, Weights(layout.GroupCount, l1, l2)),
            "owl" => new OwlProximal(Weights(weight.Value.Length, l1, l2)),
            _ => throw new ArgumentException($"Regularizer '{Kind}' has no proximal operator."),
        };
    }

    private OwlWeights Weights(int n, double l1, double l2) => Family switch
    {
        "pld" => OwlWeights.Pld(n, l1, l2, Rho),
        "oscar" => OwlWeights.Oscar(n, l1, l2),
        "spike" => OwlWeights.Spike(n, l1, l2),
        _ => OwlWeights.GroupLasso(n, l1),
    };

    private static string PerLayer(IReadOnlyDictionary<string, double> values) =>
        string.Concat(values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $",{kv.Key}={kv.Value}")));

    private string ApplicationText => (Every == OncePerEpoch ? ", prox once per epoch" : Every == 1 ? "" : $", prox every {Every} steps")
        + (PreserveScale ? ", scale preserved" : "");

    /// <summary>The bias of a regularized weight's layer ("fc1.weight" → "fc1.bias"), scaled with it under <see cref="PreserveScale"/>.</summary>
    public static Parameter? BiasOf(Module model, string weightName)
    {
        if (!weightName.EndsWith(".weight", StringComparison.Ordinal)) return null;
        string bias = weightName[..^".weight".Length] + ".bias";
        foreach (var (name, parameter) in model.NamedParameters())
            if (name == bias) return parameter;
        return null;
    }

    public string Describe() => IsNone ? "none" : Kind switch
    {
        "growl" or "owl" => string.Create(CultureInfo.InvariantCulture, $"{Kind} ({Family}, Λ1={Lambda1}{PerLayer(LayerLambda1)}, Λ2={Lambda2}{PerLayer(LayerLambda2)}, ρ={Rho}{(LambdaPerStep ? ", per step" : ", per epoch")}{ApplicationText})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Kind} (λ={Lambda1}{PerLayer(LayerLambda1)}{(LambdaPerStep ? ", per step" : ", per epoch")}{ApplicationText})"),
    };
}
