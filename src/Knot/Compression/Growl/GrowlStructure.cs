using System.Text.Json;
using System.Text.Json.Serialization;
using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Nn;

namespace Knot.Compression.Growl;

/// <summary>How tied groups are found among the non-zero groups.</summary>
public sealed record TyingOptions
{
    /// <summary>"ap" (affinity propagation on the paper's similarity) or "tolerance" (relative distance ≤ Tolerance).</summary>
    public string Method { get; init; } = "ap";
    public double Preference { get; init; } = 0.6;
    public double Damping { get; init; } = 0.5;
    public int MaxIterations { get; init; } = 200;
    public int ConvergenceIterations { get; init; } = 15;
    public double Tolerance { get; init; } = 0.05;

    /// <summary>
    /// With "ap": at most this many clusters per layer (0: no cap). If <see cref="Preference"/> gives more, a lower
    /// preference is searched (<see cref="Tying.PreferenceSearch"/>), so a target compression can be asked for directly.
    /// </summary>
    public int MaxClusters { get; init; }

    /// <summary>Per-layer caps ("fc1" → 32) that override <see cref="MaxClusters"/> for that layer.</summary>
    public IReadOnlyDictionary<string, int> LayerMaxClusters { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// With "ap": at least this compression (groups / clusters, the paper's measure) per layer (0: none), i.e. a cap of
    /// ⌊groups / ratio⌋ clusters (at least 1); with <see cref="MaxClusters"/> too, the smaller cap holds. A ratio
    /// serves layers of different sizes at once (growl-mnist fc1: 24 → 32 clusters of 784 inputs).
    /// </summary>
    public double TargetCompression { get; init; }

    /// <summary>Per-layer ratios ("conv2" → 8) that override <see cref="TargetCompression"/> for that layer.</summary>
    public IReadOnlyDictionary<string, double> LayerTargetCompression { get; init; } = new Dictionary<string, double>();

    /// <summary>The cap of one weight tensor ("fc1.weight"): its layer's override, else <see cref="MaxClusters"/>.</summary>
    public int MaxClustersFor(string parameterName) =>
        LayerMaxClusters.TryGetValue(RegularizerSpec.LayerOf(parameterName), out var cap) ? cap : MaxClusters;

    /// <summary>The cap of a weight tensor with <paramref name="groups"/> input groups: the cluster cap and the
    /// compression target together (the smaller wins; 0: no cap).</summary>
    public int MaxClustersFor(string parameterName, int groups)
    {
        int cap = MaxClustersFor(parameterName);
        double ratio = LayerTargetCompression.TryGetValue(RegularizerSpec.LayerOf(parameterName), out var r) ? r : TargetCompression;
        if (ratio <= 0) return cap;
        int byRatio = Math.Max(1, (int)Math.Floor(groups / ratio));
        return cap > 0 ? Math.Min(cap, byRatio) : byRatio;
    }

    /// <summary>Every layer named in <see cref="LayerMaxClusters"/> or <see cref="LayerTargetCompression"/> must be one
    /// of the tied weights (checked before training).</summary>
    public void CheckLayers(IEnumerable<string> parameterNames)
    {
        var layers = parameterNames.Select(RegularizerSpec.LayerOf).ToList();
        foreach (var (option, named) in new[] { ("--clusters", LayerMaxClusters.Keys), ("--compression", LayerTargetCompression.Keys) })
            foreach (var layer in named)
                if (!layers.Contains(layer))
                    throw new ArgumentException($"{option} names layer '{layer}', which is not tied. Tied: {string.Join(", ", layers)}.");
    }

    /// <summary>A group whose ℓ2 norm is at most this is zero (removed).</summary>
    public double ZeroThreshold { get; init; } = 1e-7;

    public void Validate()
    {
        if (Method is not ("ap" or "tolerance")) throw new ArgumentException($"--tie-method must be ap or tolerance, got '{Method}'.");
        if (!(Damping >= 0.5 && Damping < 1)) throw new ArgumentException($"--damping must be in [0.5, 1), got {Damping}.");
        if (MaxIterations < 1) throw new ArgumentException($"--max-iterations must be >= 1, got {MaxIterations}.");
        if (ConvergenceIterations < 1) throw new ArgumentException($"--convergence must be >= 1, got {ConvergenceIterations}.");
        if (!(Tolerance >= 0) || !double.IsFinite(Tolerance)) throw new ArgumentException($"--tolerance must be >= 0, got {Tolerance}.");
        if (!double.IsFinite(Preference)) throw new ArgumentException($"--preference must be finite, got {Preference}.");
        if (MaxClusters < 0) throw new ArgumentException($"--clusters must be >= 0 (0: no cap), got {MaxClusters}.");
        foreach (var (layer, cap) in LayerMaxClusters)
            if (cap < 0) throw new ArgumentException($"--clusters of {layer} must be >= 0 (0: no cap), got {cap}.");
        if ((MaxClusters > 0 || LayerMaxClusters.Values.Any(c => c > 0)) && Method != "ap")
            throw new ArgumentException($"--clusters needs --tie-method ap (it searches the preference), got '{Method}'.");
        foreach (var (what, ratio) in LayerTargetCompression.Select(kv => ($"--compression of {kv.Key}", kv.Value)).Prepend(("--compression", TargetCompression)))
            if (!(ratio == 0 || (ratio >= 1 && double.IsFinite(ratio))))
                throw new ArgumentException($"{what} must be a ratio >= 1 (groups / clusters; 0: none), got {ratio}.");
        if ((TargetCompression > 0 || LayerTargetCompression.Values.Any(r => r > 0)) && Method != "ap")
            throw new ArgumentException($"--compression needs --tie-method ap (it searches the preference), got '{Method}'.");
    }
}

/// <summary>The structure GrOWL found in one weight: per input group, dead (−1) or its cluster id.</summary>
/// <param name="Preference">The affinity-propagation preference a cluster cap searched (null: none searched).</param>
/// <param name="Merged">True when no preference met the cap and the clusters found at <paramref name="Preference"/> were
/// merged down to it by average linkage (null: pure affinity propagation).</param>
public sealed record LayerStructure(string Name, int[] Shape, int[] Labels,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Preference = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Merged = null)
{
    public TieMap ToTieMap() => new(new GroupLayout(Shape), Labels);
}

/// <summary>Finds zero and tied groups, attaches them as constraints, and reads/writes them as JSON.</summary>
public static class GrowlStructure
{
    public static List<LayerStructure> Discover(IEnumerable<(string Name, Parameter Parameter)> targets, TyingOptions options)
    {
        options.Validate();
        targets = targets.ToList();
        options.CheckLayers(targets.Select(t => t.Name));
        var result = new List<LayerStructure>();
        foreach (var (name, p) in targets)
        {
            var layout = new GroupLayout(p.Shape);
            var norms = new float[layout.GroupCount];
            layout.Norms(p.Value.Data, norms);
            var dead = norms.Select(n => n <= options.ZeroThreshold).ToArray();
            if (options.Method != "ap")
            {
                var byTolerance = GroupTying.ByTolerance(p.Value.Data, layout, options.Tolerance, dead);
                result.Add(new LayerStructure(name, p.Shape.ToArray(), byTolerance.Labels.ToArray()));
                continue;
            }
            int cap = options.MaxClustersFor(name, layout.GroupCount);
            var (map, preference, merged) = GroupTying.ByAffinityPropagation(p.Value.Data, layout, new AffinityPropagationOptions
            {
                Preference = options.Preference, Damping = options.Damping, MaxIterations = options.MaxIterations,
                ConvergenceIterations = options.ConvergenceIterations,
            }, cap, dead);
            result.Add(new LayerStructure(name, p.Shape.ToArray(), map.Labels.ToArray(), cap > 0 ? preference : null, merged ? true : null));
        }
        return result;
    }

    /// <summary>Attaches a <see cref="TieConstraint"/> to each named weight and imposes it once (cluster means, zeros).</summary>
    public static void Attach(Module model, IEnumerable<LayerStructure> structure)
    {
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var layer in structure)
        {
            if (!parameters.TryGetValue(layer.Name, out var p))
                throw new InvalidDataException($"Structure names '{layer.Name}', which the model does not have.");
            if (!p.Shape.Dims.SequenceEqual(layer.Shape))
                throw new InvalidDataException($"Structure for '{layer.Name}' has shape ({string.Join(", ", layer.Shape)}), the model's weight is {p.Shape}.");
            var constraint = new TieConstraint(layer.ToTieMap());
            p.Constraints.RemoveAll(c => c is TieConstraint);
            p.Constraints.Add(constraint);
            constraint.Enforce(p);
        }
    }

    public static string ToJson(IEnumerable<LayerStructure> structure) => JsonSerializer.Serialize(structure.ToList());

    public static List<LayerStructure> FromJson(string json, string source)
    {
        List<LayerStructure>? layers;
        try { layers = JsonSerializer.Deserialize<List<LayerStructure>>(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: structure is not valid JSON ({e.Message}).", e); }
        if (layers is null) throw new InvalidDataException($"{source}: empty structure.");
        foreach (var l in layers)
        {
            if (l.Name is null || l.Shape is null || l.Labels is null || l.Shape.Length < 2)
                throw new InvalidDataException($"{source}: a layer entry lacks name, shape (rank ≥ 2) or labels.");
            if (l.Labels.Length != l.Shape[1])
                throw new InvalidDataException($"{source}: layer '{l.Name}' has {l.Labels.Length} labels for {l.Shape[1]} input groups.");
            try { _ = l.ToTieMap(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{source}: layer '{l.Name}': {e.Message}", e); }
        }
        return layers;
    }
}
