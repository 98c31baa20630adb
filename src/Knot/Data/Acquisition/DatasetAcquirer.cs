namespace Knot.Data.Acquisition;

/// <summary>How <see cref="DatasetAcquirer.EnsureAsync"/> obtained the dataset.</summary>
public enum AcquisitionResult
{
    AlreadyPresent,
    Imported,
    Downloaded,
}

/// <summary>
/// Makes sure a dataset is installed in a directory: leaves a complete copy alone, otherwise imports it from a
/// local directory when one is given (offline) or downloads it from the manifest's mirrors.
/// </summary>
public static class DatasetAcquirer
{
    /// <summary>
    /// Whether every file is present. With <paramref name="verifyContents"/> each is hashed; without, raw files
    /// are checked by size and gzip files by existence (fast enough to run before every training).
    /// </summary>
    public static bool IsInstalled(string directory, DatasetManifest manifest, bool verifyContents, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var file in manifest.Files)
        {
            string? path = DatasetStore.Find(directory, file);
            if (path is null)
            {
                problem = $"{file.Name} is missing from '{Path.GetFullPath(directory)}'.";
                return false;
            }
            if (verifyContents)
            {
                if (!DatasetVerifier.TryVerify(path, file, out problem)) return false;
            }
            else if (!CompressedInput.IsGzip(path) && new FileInfo(path).Length != file.Bytes)
            {
                problem = $"{path}: expected {file.Bytes} bytes, found {new FileInfo(path).Length}.";
                return false;
            }
        }
        problem = null;
        return true;
    }

    /// <summary>
    /// Ensures <paramref name="manifest"/> is installed in <paramref name="directory"/>. Files already present and
    /// valid are kept; the rest come from <paramref name="importFrom"/> when given, else from the mirrors through
    /// <paramref name="http"/> (a temporary client when null).
    /// </summary>
    public static async Task<AcquisitionResult> EnsureAsync(DatasetManifest manifest, string directory, string? importFrom = null,
        HttpClient? http = null, IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (IsInstalled(directory, manifest, verifyContents: true, out _)) return AcquisitionResult.AlreadyPresent;

        if (importFrom is not null)
        {
            DatasetImporter.Import(importFrom, directory, manifest, progress, cancellationToken);
            return AcquisitionResult.Imported;
        }

        HttpClient? owned = null;
        if (http is null)
        {
            owned = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            http = owned;
        }
        try
        {
            var downloader = new DatasetDownloader(http);
            foreach (var file in manifest.Files)
            {
                string? present = DatasetStore.Find(directory, file);
                if (present is not null && DatasetVerifier.TryVerify(present, file, out _)) continue;
                await downloader.DownloadFileAsync(manifest, file, directory, progress, cancellationToken).ConfigureAwait(false);
            }
            return AcquisitionResult.Downloaded;
        }
        finally
        {
            owned?.Dispose();
        }
    }
}
