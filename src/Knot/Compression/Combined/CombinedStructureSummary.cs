using Knot.Compression.Growl;
using Knot.Nn;

namespace Knot.Compression.Combined;

/// <summary>
/// What GrOWL's structure contributes to a combined GrOWL + soft weight-sharing model: per structured layer the
/// paper's sparsity/sharing numbers, the weights the prior covered in the dense model and the distinct ones among them,
/// the producer outputs removed, and the parameter counts of the dense model and of the finalized (stored) network.
/// </summary>
public sealed record CombinedStructureSummary(
    IReadOnlyList<LayerSummary> Layers,
    IReadOnlyDictionary<string, int> RemovedOutputs,
    long CoveredWeights,
    long DistinctWeights,
    long Parameters,
    long StoredParameters)
{
    public static CombinedStructureSummary Create(Module model, Module finalized, IReadOnlyList<LayerStructure> structure, DistinctWeights view)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(finalized);
        ArgumentNullException.ThrowIfNull(structure);
        ArgumentNullException.ThrowIfNull(view);
        var layers = structure.Select(s => new LayerSummary(s.Name, s.Shape, s.ToTieMap().Metrics)).ToList();
        var removed = GrowlFinalizer.RemovedOutputs(model, structure).ToDictionary(kv => kv.Key, kv => kv.Value.Length, StringComparer.Ordinal);
        return new CombinedStructureSummary(layers, removed, view.FullCount, view.DistinctCount, model.ParameterCount(), finalized.ParameterCount());
    }
}
