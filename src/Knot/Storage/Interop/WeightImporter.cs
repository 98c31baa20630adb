using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>Imports weights from any file Knot can read, choosing the reader from the file's first bytes.</summary>
public static class WeightImporter
{
    /// <summary>
    /// Reads a safetensors file, a PyTorch torch.save zip or a Knot checkpoint (its tensors and metadata; blobs are
    /// left out). Anything else gets an <see cref="InvalidDataException"/> that says what the file looks like.
    /// </summary>
    public static ImportedWeights Read(string path, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var format = WeightFileFormats.Detect(path);
        switch (format)
        {
            case WeightFileFormat.Safetensors:
                return SafetensorsFile.Read(path, integers);
            case WeightFileFormat.Zip:
                return TorchStateDictReader.Read(path, integers);
            case WeightFileFormat.KnotCheckpoint:
            {
                var checkpoint = CheckpointFile.Read(path);
                var result = new ImportedWeights(Path.GetFileName(path));
                foreach (var (name, t) in checkpoint.Tensors)
                {
                    result.Tensors.Add(name, t);
                    result.SourceDtypes[name] = "float32";
                }
                foreach (var (key, value) in checkpoint.Metadata) result.Metadata[key] = value;
                return result;
            }
            default:
                throw new InvalidDataException($"{Path.GetFileName(path)}: cannot import weights from {WeightFileFormats.Describe(format)}; "
                    + "Knot imports safetensors, PyTorch torch.save zips and Knot checkpoints.");
        }
    }
}
