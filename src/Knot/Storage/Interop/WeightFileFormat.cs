using System.Buffers.Binary;

namespace Knot.Storage.Interop;

/// <summary>File formats that hold model weights, as far as Knot can tell them apart by their first bytes.</summary>
public enum WeightFileFormat
{
    Unknown,
    KnotCheckpoint,
    /// <summary>Starts with "KNOT" but is not a checkpoint: the compressed .knot model format.</summary>
    KnotCompressed,
    Safetensors,
    /// <summary>A zip archive; PyTorch's <c>torch.save</c> default format (and TorchScript archives) are zips.</summary>
    Zip,
    /// <summary>A bare pickle stream: PyTorch's legacy (pre-1.6) <c>torch.save</c> format or a plain pickle.</summary>
    Pickle,
    Gzip,
}

/// <summary>Sniffs the format of a weights file from its first bytes, so readers can say what a wrong file is.</summary>
public static class WeightFileFormats
{
    /// <summary>How many leading bytes <see cref="Detect(ReadOnlySpan{byte}, long)"/> looks at.</summary>
    public const int SniffLength = 16;

    public static WeightFileFormat Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> head = stackalloc byte[SniffLength];
        int n = stream.ReadAtLeast(head, SniffLength, throwOnEndOfStream: false);
        return Detect(head[..n], stream.Length);
    }

    /// <param name="head">The first bytes of the file (up to <see cref="SniffLength"/>).</param>
    /// <param name="fileLength">The whole file's length (safetensors' header length must fit in it).</param>
    public static WeightFileFormat Detect(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.StartsWith("KNOTCKPT"u8)) return WeightFileFormat.KnotCheckpoint;
        if (head.StartsWith("KNOT"u8)) return WeightFileFormat.KnotCompressed;
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8)) return WeightFileFormat.Zip;
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B) return WeightFileFormat.Gzip;
        if (head.Length >= 9)
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (head[8] == (byte)'{' && headerLength >= 2 && headerLength <= (ulong)Math.Max(0, fileLength - 8))
                return WeightFileFormat.Safetensors;
        }
        // Pickle protocol 2+ starts with PROTO (0x80) and the protocol number.
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5) return WeightFileFormat.Pickle;
        return WeightFileFormat.Unknown;
    }

    /// <summary>A short phrase for messages: "a safetensors file", ...</summary>
    public static string Describe(WeightFileFormat format) => format switch
    {
        WeightFileFormat.KnotCheckpoint => "a Knot checkpoint (read it with CheckpointFile.Read)",
        WeightFileFormat.KnotCompressed => "a compressed .knot model file, not a checkpoint",
        WeightFileFormat.Safetensors => "a safetensors file (import it with SafetensorsFile.Read)",
        WeightFileFormat.Zip => "a zip archive, probably a PyTorch torch.save file (import it with TorchStateDictReader.Read)",
        WeightFileFormat.Pickle => "a bare pickle stream, probably PyTorch's legacy torch.save format (re-save it with torch >= 1.6, which writes a zip)",
        WeightFileFormat.Gzip => "a gzip stream",
        _ => "not a known weights format",
    };
}
