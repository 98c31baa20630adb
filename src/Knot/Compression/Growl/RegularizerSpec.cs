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
    public double Rho { get; init; } = 0.5;
    public bool LambdaPerStep { get; init; }

    /// <summary>Apply the prox every K steps (μ scaled by K); <see cref="OncePerEpoch"/> (0) applies it after each epoch's last step, like the paper's reference code.</summary>
    public int Every { get; init; } = 1;

    public const int OncePerEpoch = 0;

    /// <summary>Parameter names to regularize (e.g. "fc1.weight"); null: the model's default.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    public bool IsNone => Kind == "none";

    public void Validate()
    {
        if (!Kinds.Contains(Kind)) throw new ArgumentException($"--reg: unknown regularizer '{Kind}'. Known: {string.Join(", ", Kinds)}.");
        if (!Families.Contains(Family)) throw new ArgumentException($"--lambda-family: unknown family '{Family}'. Known: {string.Join(", ", Families)}.");
        if (!(Lambda1 > 0) || !double.IsFinite(Lambda1)) throw new ArgumentException($"--lambda1 must be > 0, got {Lambda1}.");
        if (!(Lambda2 >= 0) || !double.IsFinite(Lambda2)) throw new ArgumentException($"--lambda2 must be >= 0, got {Lambda2}.");
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
        if (Layers is null) return DefaultTargets(modelName, model);
        var all = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        var result = new List<(string, Parameter)>();
        foreach (var raw in Layers)
        {
            string name = raw.EndsWith(".weight", StringComparison.Ordinal) ? raw : raw + ".weight";
            if (!all.TryGetValue(name, out var p) || p.Shape.Rank < 2)
                throw new ArgumentException($"--layers: '{raw}' is not a FC or conv weight of {modelName}. Candidates: {string.Join(", ", DefaultTargets("", model).Select(t => t.Name[..^".weight".Length]))}.");
            result.Add((name, p));
        }
        return result;
    }

    /// <summary>The proximal operator for one weight tensor.</summary>
    public IProximalOperator CreateOperator(Parameter weight)
    {
        var layout = new GroupLayout(weight.Shape);
        return Kind switch
        {
            "l1" => new L1Proximal(weight.Value.Length, (float)Lambda1),
            "group-lasso" => new GroupLassoProximal(layout, (float)Lambda1),
            "growl" => new GrowlProximal(layout, Weights(layout.GroupCount)),
            "owl" => new OwlProximal(Weights(weight.Value.Length)),
            _ => throw new ArgumentException($"Regularizer '{Kind}' has no proximal operator."),
        };
    }

    private OwlWeights Weights(int n) => Family switch
    {
        "pld" => OwlWeights.Pld(n, Lambda1, Lambda2, Rho),
        "oscar" => OwlWeights.Oscar(n, Lambda1, Lambda2),
        "spike" => OwlWeights.Spike(n, Lambda1, Lambda2),
        _ => OwlWeights.GroupLasso(n, Lambda1),
    };

    private string EveryText => Every == OncePerEpoch ? ", prox once per epoch" : Every == 1 ? "" : $", prox every {Every} steps";

    public string Describe() => IsNone ? "none" : Kind switch
    {
        "growl" or "owl" => string.Create(CultureInfo.InvariantCulture, $"{Kind} ({Family}, Λ1={Lambda1}, Λ2={Lambda2}, ρ={Rho}{(LambdaPerStep ? ", per step" : ", per epoch")}{EveryText})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Kind} (λ={Lambda1}{(LambdaPerStep ? ", per step" : ", per epoch")}{EveryText})"),
    };
}
