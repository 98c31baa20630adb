namespace Knot.Data.Acquisition;

/// <summary>One file of a dataset as it must look once decompressed: canonical name, size and SHA-256 (lowercase hex).</summary>
public sealed record DatasetFile(string Name, long Bytes, string Sha256);
