using Knot.Storage.Common;
namespace Knot.Storage.Checkpoints;

/// <summary>
/// Reads and writes Knot checkpoints (layout in <see cref="CheckpointFormat"/>). Writes are atomic; reads validate
/// every count, length and offset against the file size before allocating and verify the CRC-32, throwing
/// <see cref="InvalidDataException"/> messages that name the file and say what is wrong where.
/// </summary>
public static class CheckpointFile
{
    /// <summary>The format version this build writes (and the only one it reads).</summary>
    public const int FormatVersion = (int)CheckpointFormat.Version;

    /// <summary>Writes atomically: an interrupted or failed write leaves any existing file at <paramref name="path"/> intact.</summary>
    public static void Write(string path, Checkpoint checkpoint) => Write(path, checkpoint, decorate: null);

    /// <summary>Test seam: <paramref name="decorate"/> wraps the temporary file's stream.</summary>
    internal static void Write(string path, Checkpoint checkpoint, Func<Stream, Stream>? decorate)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var plan = CheckpointWriter.Plan(checkpoint); // validate before touching the disk
        AtomicFile.Write(path, stream => CheckpointWriter.WriteTo(stream, plan), decorate);
    }

    /// <summary>Writes the checkpoint to a stream (not atomic; the caller owns the stream).</summary>
    public static void Write(Stream stream, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(checkpoint);
        CheckpointWriter.WriteTo(stream, CheckpointWriter.Plan(checkpoint));
    }

    /// <summary>The exact encoded size in bytes, without writing.</summary>
    public static long EncodedLength(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return CheckpointWriter.Plan(checkpoint).FileLength;
    }

    public static Checkpoint Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return CheckpointReader.Read(stream, stream.Length, Path.GetFileName(path));
    }

    /// <summary>Reads from the stream's current position to its end; <paramref name="sourceName"/> prefixes error messages.</summary>
    public static Checkpoint Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("The checkpoint reader needs a seekable stream (it checks the length first).", nameof(stream));
        return CheckpointReader.Read(stream, stream.Length - stream.Position, sourceName);
    }
}
