using System.CommandLine;
using Knot.Compression.Growl;

namespace Knot.Cli.Commands;

/// <summary>--reg and its strengths; shared by train and growl.</summary>
public sealed class RegularizerOptions(string defaultKind, string defaultEvery = "1")
{
    public Option<string> Kind { get; } = new("--reg") { Description = "Regularizer: none, l1, group-lasso, owl, growl.", DefaultValueFactory = _ => defaultKind };
    public Option<string> Family { get; } = new("--lambda-family") { Description = "GrOWL/OWL λ family: pld (the paper's), oscar, spike, group-lasso.", DefaultValueFactory = _ => "pld" };
    public Option<string> Lambda1 { get; } = new("--lambda1") { Description = "Λ1 (per-epoch prox units, like the paper; see --lambda-per-step); per layer: 6,conv2=20 (layers not named get the plain number, default 12).", DefaultValueFactory = _ => "12" };
    public Option<string> Lambda2 { get; } = new("--lambda2") { Description = "Λ2 (GrOWL/OWL); per layer like --lambda1 (default 0.235).", DefaultValueFactory = _ => "0.235" };
    public Option<double> Rho { get; } = new("--rho") { Description = "ρ of the PLD family: share of groups on the stair.", DefaultValueFactory = _ => 0.5 };
    public Option<bool> PerStep { get; } = new("--lambda-per-step") { Description = "Use λ as is at every step (μ = lr·λ) instead of per-epoch units (μ = lr·λ/B)." };
    public Option<string> Every { get; } = new("--prox-every") { Description = "When to apply the prox: 'epoch' (once per epoch, as the paper's reference code) or every K steps (μ scaled by K).", DefaultValueFactory = _ => defaultEvery };
    public Option<bool> PreserveScale { get; } = new("--preserve-scale")
    {
        Description = "After each prox, scale the regularized weights (and their biases) back to their norm before it: for layers followed by BatchNorm, whose loss cannot see a uniform shrink (growl-mnist's fc1).",
    };
    public Option<string?> Layers { get; } = new("--layers") { Description = "Comma-separated weights to regularize (e.g. fc1,fc2); default: growl-mnist fc1, other nets every FC/conv layer with ≥ 2 inputs." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Kind, Family, Lambda1, Lambda2, Rho, PerStep, Every, PreserveScale, Layers }) command.Options.Add(o);
    }

    private static int ParseEvery(string text) =>
        text == "epoch" ? RegularizerSpec.OncePerEpoch
        : int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 1 ? k
        : throw new UsageException($"--prox-every must be 'epoch' or a number of steps >= 1, got '{text}'.");

    /// <summary>"6", "6,conv2=20" or "conv2=20": the plain number (or <paramref name="fallback"/>) and per-layer values.</summary>
    internal static (double Value, Dictionary<string, double> Layers) ParseLayered(string text, string option, double fallback)
    {
        double value = fallback;
        var layers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string number = eq < 0 ? part : part[(eq + 1)..];
            if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v))
                throw new UsageException($"{option}: '{part}' is not a number or layer=number.");
            if (eq < 0) value = v;
            else layers[part[..eq]] = v;
        }
        return (value, layers);
    }

    public RegularizerSpec Parse(ParseResult p)
    {
        var (lambda1, layerLambda1) = ParseLayered(p.GetValue(Lambda1)!, "--lambda1", 12);
        var (lambda2, layerLambda2) = ParseLayered(p.GetValue(Lambda2)!, "--lambda2", 0.235);
        var spec = new RegularizerSpec
        {
            Kind = p.GetValue(Kind)!.ToLowerInvariant(), Family = p.GetValue(Family)!.ToLowerInvariant(),
            Lambda1 = lambda1, Lambda2 = lambda2, LayerLambda1 = layerLambda1, LayerLambda2 = layerLambda2, Rho = p.GetValue(Rho),
            LambdaPerStep = p.GetValue(PerStep), Every = ParseEvery(p.GetValue(Every)!), PreserveScale = p.GetValue(PreserveScale),
            Layers = p.GetValue(Layers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        try { spec.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return spec;
    }
}

/// <summary>Options of the tie-discovery step; shared by growl and tie.</summary>
public sealed class TyingCliOptions
{
    public Option<string> Method { get; } = new("--tie-method") { Description = "ap (affinity propagation, the paper's) or tolerance.", DefaultValueFactory = _ => "ap" };
    public Option<double> Preference { get; } = new("--preference") { Description = "Affinity propagation preference (paper: 0.6 MNIST, 0.8 VGG).", DefaultValueFactory = _ => 0.6 };
    public Option<double> Damping { get; } = new("--damping") { Description = "Affinity propagation damping.", DefaultValueFactory = _ => 0.5 };
    public Option<int> MaxIterations { get; } = new("--max-iterations") { Description = "Affinity propagation iterations at most.", DefaultValueFactory = _ => 200 };
    public Option<int> Convergence { get; } = new("--convergence") { Description = "Stop after this many iterations without change.", DefaultValueFactory = _ => 15 };
    public Option<double> Tolerance { get; } = new("--tolerance") { Description = "With --tie-method tolerance: relative distance under which groups are tied.", DefaultValueFactory = _ => 0.05 };
    public Option<string> Clusters { get; } = new("--clusters") { Description = "At most this many clusters per layer (0: no cap), or per layer like 8,fc1=32: when --preference gives more, a lower preference is searched. Asks for a compression directly (growl-mnist: 32 clusters = 24.5×).", DefaultValueFactory = _ => "0" };
    public Option<string> Compression { get; } = new("--compression") { Description = "At least this compression (groups / clusters) per layer, i.e. at most ⌊groups / R⌋ clusters (0: none), or per layer like 8,fc1=24; with --clusters the smaller cap holds.", DefaultValueFactory = _ => "0" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Method, Preference, Clusters, Compression, Damping, MaxIterations, Convergence, Tolerance }) command.Options.Add(o);
    }

    public TyingOptions Parse(ParseResult p)
    {
        var (capValue, layerValues) = RegularizerOptions.ParseLayered(p.GetValue(Clusters)!, "--clusters", 0);
        int cap = WholeCount(capValue, "--clusters");
        var layerCaps = layerValues.ToDictionary(kv => kv.Key, kv => WholeCount(kv.Value, $"--clusters of {kv.Key}"), StringComparer.Ordinal);
        var (ratio, layerRatios) = RegularizerOptions.ParseLayered(p.GetValue(Compression)!, "--compression", 0);
        var o = new TyingOptions
        {
            Method = p.GetValue(Method)!.ToLowerInvariant(), Preference = p.GetValue(Preference), Damping = p.GetValue(Damping),
            MaxIterations = p.GetValue(MaxIterations), ConvergenceIterations = p.GetValue(Convergence), Tolerance = p.GetValue(Tolerance),
            MaxClusters = cap, LayerMaxClusters = layerCaps, TargetCompression = ratio, LayerTargetCompression = layerRatios,
        };
        try { o.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return o;
    }

    private static int WholeCount(double value, string option) =>
        value == Math.Floor(value) && value >= 0 && value <= int.MaxValue ? (int)value
        : throw new UsageException($"{option} must be a whole number >= 0, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
}
