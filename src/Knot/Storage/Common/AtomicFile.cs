namespace Knot.Storage.Common;

/// <summary>
/// Writes a file so that readers only ever see the old complete file or the new complete file: the content goes
/// to a temporary file in the same directory (same volume, so the final rename is atomic), is flushed to disk,
/// then replaces the target with <see cref="File.Move(string, string, bool)"/>. If anything throws, the
/// temporary file is deleted and the target is untouched.
/// </summary>
public static class AtomicFile
{
    /// <param name="path">Target path.</param>
    /// <param name="writeContent">Writes the whole content to the given stream.</param>
    /// <param name="decorate">Test seam: wraps the file stream (e.g. to inject a failure midway).</param>
    /// <summary>Writes all bytes atomically (temp file in the same directory, flushed to disk, then renamed).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void Write(string path, Action<Stream> writeContent, Func<Stream, Stream>? decorate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writeContent);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{path}' names a root directory, not a file.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{directory}' does not exist.");
        if (Directory.Exists(full))
            throw new IOException($"Cannot write '{path}': a directory with that name exists.");

        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream target = decorate?.Invoke(file) ?? file;
                writeContent(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // Best effort: the original exception is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
