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
        KnotModelFile.Write(outPath, sequential, loaded.Spec, metadata, denseParameters: dense);
        var file = KnotFile.Read(outPath);
        return new PackResult(outPath, file.FileBytes, 4 * dense);
    }
}
