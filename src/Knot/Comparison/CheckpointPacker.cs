using Knot.Compression.Growl;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;

namespace Knot.Comparison;

/// <summary>What packing wrote: the file, its real size and the dense float32 size of the model it came from.</summary>
public sealed record PackResult(string OutPath, long FileBytes, long DenseBytes)
{
    public double Ratio => FileBytes == 0 ? double.NaN : (double)DenseBytes / FileBytes;
}

/// <summary>
/// Checkpoint → .knot (what `knot pack` does): a GrOWL retrained checkpoint (metadata "structure") is finalized first,
/// so removed inputs and tied groups really shrink the file; any other checkpoint is written as is, each tensor in the
/// writer's cheapest encoding, so exact zeros (dead groups, pruned weights) still count.
/// </summary>
public static class CheckpointPacker
{
    public static PackResult Pack(string checkpointPath, string outPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        var loaded = ModelCheckpoint.Load(checkpointPath);
        if (loaded.Model is not Sequential sequential)
            throw new ArgumentException($"{Path.GetFileName(checkpointPath)}: model {loaded.Spec.Name} is not a plain sequential network and cannot be packed.");
        long dense = sequential.ParameterCount();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["knot.source"] = Path.GetFileName(checkpointPath) };
        if (loaded.Checkpoint.Metadata.TryGetValue("structure", out var structureJson))
        {
            var structure = GrowlStructure.FromJson(structureJson, Path.GetFileName(checkpointPath));
            sequential = GrowlFinalizer.Finalize(sequential, structure);
            metadata["knot.method"] = "growl";
        }
        return Write(outPath, sequential, loaded, metadata, dense);
    }

    /// <summary>
    /// Packs a checkpoint trained with a group regularizer after a lossless finalization: the regularized layers' groups
    /// that are exactly zero are removed (with the units of the previous layer that fed them) and exactly identical groups
    /// merged, so the file holds a smaller network with the same outputs. What the sweep measures for growl and group-lasso.
    /// </summary>
    public static PackResult PackRemovingZeroGroups(string checkpointPath, string outPath, RegularizerSpec regularizer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        ArgumentNullException.ThrowIfNull(regularizer);
        var loaded = ModelCheckpoint.Load(checkpointPath);
        if (loaded.Model is not Sequential sequential)
            throw new ArgumentException($"{Path.GetFileName(checkpointPath)}: model {loaded.Spec.Name} is not a plain sequential network and cannot be packed.");
        long dense = sequential.ParameterCount();
        var targets = regularizer.Targets(loaded.Spec.Name, sequential);
        // A layer with every group zero has no structure left to finalize (the network ignores its input): store it as it is.
        if (targets.Any(t => !t.Parameter.Value.Data.AsSpan().ContainsAnyExcept(0f))) return Pack(checkpointPath, outPath);
        // Tolerance 0 and zero threshold 0: only exact zeros are dropped and only identical groups tied, so nothing changes the outputs.
        var structure = GrowlStructure.Discover(targets, new TyingOptions { Method = "tolerance", Tolerance = 0, ZeroThreshold = 0 });
        var finalized = GrowlFinalizer.Finalize(sequential, structure);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["knot.source"] = Path.GetFileName(checkpointPath), ["knot.method"] = regularizer.Kind };
        return Write(outPath, finalized, loaded, metadata, dense);
    }

    private static PackResult Write(string outPath, Sequential model, LoadedModel loaded, Dictionary<string, string> metadata, long dense)
    {
        KnotModelFile.Write(outPath, model, loaded.Spec, metadata, denseParameters: dense);
        var file = KnotFile.Read(outPath);
        return new PackResult(outPath, file.FileBytes, 4 * dense);
    }
}
