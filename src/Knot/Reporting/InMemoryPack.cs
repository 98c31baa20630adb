using Knot.Compression.Growl;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;

namespace Knot.Reporting;

/// <summary>What `knot pack` would write for a model, built in memory for a report (finalizing GrOWL structure first).</summary>
public static class InMemoryPack
{
    /// <summary>
    /// The finalized model and its parsed .knot bytes, or null when the network cannot be described as a plain
    /// sequential stack (residual networks keep their constrained form and have no .knot file).
    /// </summary>
    public static (Sequential Model, KnotFile File)? TryPack(Module model, ModelSpec spec, IReadOnlyList<LayerStructure>? structure, string source) =>
        TryPack(model, spec, structure, source, out _);

    /// <param name="whyNot">Why there is no file (null when there is one).</param>
    public static (Sequential Model, KnotFile File)? TryPack(Module model, ModelSpec spec, IReadOnlyList<LayerStructure>? structure, string source, out string? whyNot)
    {
        whyNot = null;
        if (model is not Sequential sequential)
        {
            whyNot = $"{spec.Name} is not a plain sequential network";
            return null;
        }
        try
        {
            long dense = sequential.ParameterCount();
            var packed = structure is null ? sequential : GrowlFinalizer.Finalize(sequential, structure);
            return (packed, KnotFile.Parse(KnotModelFile.ToBytes(packed, spec, denseParameters: dense), source));
        }
        catch (Exception e) when (e is NotSupportedException or DeadLayerException)
        {
            whyNot = e.Message;
            return null;
        }
    }
}
