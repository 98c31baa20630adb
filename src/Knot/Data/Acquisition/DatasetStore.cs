namespace Knot.Data.Acquisition;

/// <summary>
/// Where dataset files live on disk and how they get there: every file is written to a temporary name in the
/// target directory and moved over the final name, so a crash or a failed check never leaves a half file under
/// a real name. Installing NAME.gz removes a stale raw NAME (and vice versa), because loaders prefer the raw one.
/// </summary>
public static class DatasetStore
{
    /// <summary>The installed copy of <paramref name="file"/> in <paramref name="directory"/>, or null.</summary>
    public static string? Find(string directory, DatasetFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!Directory.Exists(directory)) return null;
        foreach (string candidate in IdxDataset.Candidates(file.Name))
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>A fresh temporary path in <paramref name="directory"/> (created if needed) for <paramref name="name"/>.</summary>
    public static string TemporaryPath(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Moves a verified temporary file over NAME or NAME.gz and removes the other spellings.</summary>
    public static string Install(string temporaryPath, string directory, DatasetFile file, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(file);
        string final = Path.Combine(directory, file.Name + (gzip ? ".gz" : ""));
        File.Move(temporaryPath, final, overwrite: true);
        foreach (string candidate in IdxDataset.Candidates(file.Name))
        {
            string other = Path.Combine(directory, candidate);
            if (!string.Equals(other, final, StringComparison.Ordinal) && File.Exists(other)) File.Delete(other);
        }
        return final;
    }

    internal static void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover .tmp file is harmless and never read.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
