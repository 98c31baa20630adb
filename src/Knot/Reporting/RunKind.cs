using Knot.Storage.Compressed;
using Knot.Storage.Interop;

namespace Knot.Reporting;

/// <summary>What wrote the run a report is built from.</summary>
public enum RunKind
{
    /// <summary>`knot train --out X.ckpt` (any checkpoint).</summary>
    Train,
    /// <summary>`knot growl --out DIR`: stage1.ckpt, structure.json, retrained.ckpt, summary.json.</summary>
    Growl,
    /// <summary>`knot sws --out F.knot` (+ F.knot.run.json, F.ckpt).</summary>
    SoftSharing,
    /// <summary>`knot dc --out F.knot` (+ F.knot.run.json).</summary>
    DeepCompression,
    /// <summary>Any other .knot model file (e.g. `knot pack`).</summary>
    Packed,
    /// <summary>A directory with compare.json (`knot compare`).</summary>
    Compare,
}

/// <summary>Tells the kind of a run from what is on disk; anything else is a clear input error.</summary>
public static class RunDetector
{
    public const string CompareFile = "compare.json";
    public static readonly string[] GrowlFiles = ["stage1.ckpt", "structure.json", "retrained.ckpt", "summary.json"];

    public static RunKind Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            if (File.Exists(Path.Combine(path, CompareFile))) return RunKind.Compare;
            if (GrowlFiles.Any(f => File.Exists(Path.Combine(path, f)))) return RunKind.Growl;
            throw new InvalidDataException($"{path}: unknown run layout: expected {CompareFile} (knot compare) or {string.Join(", ", GrowlFiles)} (knot growl --out DIR).");
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or directory.", path);
        if (string.Equals(Path.GetFileName(path), CompareFile, StringComparison.Ordinal)) return RunKind.Compare;
        var format = WeightFileFormats.Detect(path);
        switch (format)
        {
            case WeightFileFormat.KnotCheckpoint:
                return RunKind.Train;
            case WeightFileFormat.KnotCompressed:
                var file = KnotFile.Read(path);
                return file.Metadata.TryGetValue("knot.method", out var method) ? method switch
                {
                    "soft-weight-sharing" => RunKind.SoftSharing,
                    "deep-compression" => RunKind.DeepCompression,
                    _ => RunKind.Packed,
                } : RunKind.Packed;
            default:
                throw new InvalidDataException($"{path}: not a run: expected a Knot checkpoint (knot train), a .knot file (knot sws/dc/pack) or a run directory (knot growl, knot compare); " +
                    (format == WeightFileFormat.Unknown ? "its first bytes match no known format." : $"it is {WeightFileFormats.Describe(format)}."));
        }
    }
}
