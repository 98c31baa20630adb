using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;

namespace Knot.Data.Acquisition;

/// <summary>
/// Installs CIFAR-10's six binary batch files into a directory: from a local copy (the .bin files, a
/// cifar-10-batches-bin/ folder, or the cifar-10-binary.tar.gz archive) or by downloading the archive. Only the
/// six expected regular files are taken out of the archive, by name — never arbitrary paths or links — and each
/// is size-checked and written atomically.
/// </summary>
public static class Cifar10Acquirer
{
    /// <summary>True when all six files are present with the expected sizes.</summary>
    public static bool IsInstalled(string directory, Cifar10Archive archive, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(archive);
        foreach (string name in Cifar10Archive.BinFiles)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                problem = $"{name} is missing from '{Path.GetFullPath(directory)}'.";
                return false;
            }
            long length = new FileInfo(path).Length;
            if (length != archive.ExpectedBytes(name))
            {
                problem = $"{path}: expected {archive.ExpectedBytes(name)} bytes, found {length}.";
                return false;
            }
        }
        problem = null;
        return true;
    }

    /// <summary>
    /// Ensures CIFAR-10 is in <paramref name="directory"/>: keeps a complete copy, else imports from
    /// <paramref name="importFrom"/> (directory or archive) when given, else downloads the archive.
    /// </summary>
    public static async Task<AcquisitionResult> EnsureAsync(string directory, string? importFrom = null, HttpClient? http = null,
        IProgress<AcquisitionProgress>? progress = null, Cifar10Archive? archive = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        archive ??= Cifar10Archive.Official;
        if (IsInstalled(directory, archive, out _)) return AcquisitionResult.AlreadyPresent;
        if (importFrom is not null)
        {
            Import(importFrom, directory, archive, progress, cancellationToken);
            return AcquisitionResult.Imported;
        }
        HttpClient? owned = null;
        if (http is null)
        {
            owned = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            http = owned;
        }
        try
        {
            await DownloadAsync(http, directory, archive, progress, cancellationToken).ConfigureAwait(false);
            return AcquisitionResult.Downloaded;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>
    /// Imports from a directory holding the six .bin files (directly or in cifar-10-batches-bin/) or the archive,
    /// or from the archive file itself. The archive's checksum is verified; loose .bin files are size-checked.
    /// </summary>
    public static void Import(string source, string directory, Cifar10Archive? archive = null,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        archive ??= Cifar10Archive.Official;
        if (File.Exists(source))
        {
            VerifyArchive(source, archive);
            Extract(source, directory, archive, progress, cancellationToken);
            return;
        }
        if (!Directory.Exists(source))
            throw new DirectoryNotFoundException($"CIFAR-10 import source not found: '{Path.GetFullPath(source)}'.");
        foreach (string candidate in new[] { source, Path.Combine(source, "cifar-10-batches-bin") })
        {
            if (!Cifar10Archive.BinFiles.All(f => File.Exists(Path.Combine(candidate, f)))) continue;
            foreach (string name in Cifar10Archive.BinFiles)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string from = Path.Combine(candidate, name);
                long length = new FileInfo(from).Length;
                if (length != archive.ExpectedBytes(name))
                    throw new InvalidDataException($"{from}: expected {archive.ExpectedBytes(name)} bytes, found {length}.");
                progress?.Report(new AcquisitionProgress(name, AcquisitionStage.Importing, 0, length, from));
                string temporary = DatasetStore.TemporaryPath(directory, name);
                try
                {
                    File.Copy(from, temporary, overwrite: true);
                    File.Move(temporary, Path.Combine(directory, name), overwrite: true);
                }
                finally
                {
                    DatasetStore.DeleteQuietly(temporary);
                }
                progress?.Report(new AcquisitionProgress(name, AcquisitionStage.Done, length, length, from));
            }
            return;
        }
        string archivePath = Path.Combine(source, Cifar10Archive.FileName);
        if (File.Exists(archivePath))
        {
            VerifyArchive(archivePath, archive);
            Extract(archivePath, directory, archive, progress, cancellationToken);
            return;
        }
        throw new FileNotFoundException(
            $"'{Path.GetFullPath(source)}' holds neither the six CIFAR-10 .bin files ({string.Join(", ", Cifar10Archive.BinFiles)}), nor cifar-10-batches-bin/, nor {Cifar10Archive.FileName}.");
    }

    /// <summary>Downloads the archive into the target directory, verifies it, extracts the six files and deletes it.</summary>
    public static async Task DownloadAsync(HttpClient http, string directory, Cifar10Archive? archive = null,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        archive ??= Cifar10Archive.Official;
        await MirrorFallback.FirstSuccessAsync(archive.Urls, Cifar10Archive.FileName, directory, async (url, temporary) =>
        {
            await FetchAsync(http, url, temporary, archive.Bytes, progress, cancellationToken).ConfigureAwait(false);
            progress?.Report(new AcquisitionProgress(Cifar10Archive.FileName, AcquisitionStage.Verifying, archive.Bytes, archive.Bytes, url.ToString()));
            VerifyArchive(temporary, archive);
            Extract(temporary, directory, archive, progress, cancellationToken);
            return true;
        }, progress, $"Could not download {Cifar10Archive.FileName}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the archive's exact size and published MD5.</summary>
    public static void VerifyArchive(string path, Cifar10Archive archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        long length = new FileInfo(path).Length;
        if (length != archive.Bytes)
            throw new InvalidDataException($"{path}: expected {archive.Bytes} bytes for {Cifar10Archive.FileName}, found {length}.");
        using var file = CompressedInput.OpenRaw(path);
#pragma warning disable CA5351 // MD5 here checks integrity against the checksum the dataset's authors publish; it guards nothing secret.
        string actual = Convert.ToHexStringLower(MD5.HashData(file));
#pragma warning restore CA5351
        if (!string.Equals(actual, archive.Md5, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: MD5 is {actual}, expected {archive.Md5}.");
    }

    /// <summary>Extracts the six expected regular files (matched by file name) and nothing else.</summary>
    public static void Extract(string archivePath, string directory, Cifar10Archive archive,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var wanted = new HashSet<string>(Cifar10Archive.BinFiles, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var file = CompressedInput.OpenRaw(archivePath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            TarEntry? entry;
            while ((entry = tar.GetNextEntry()) is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string name = Path.GetFileName(entry.Name.Replace('\\', '/').TrimEnd('/'));
                if (!wanted.Contains(name) || done.Contains(name)) continue;
                long expected = archive.ExpectedBytes(name);
                if (entry.Length != expected || entry.DataStream is null)
                    throw new InvalidDataException($"{archivePath}: member {entry.Name} has {entry.Length} bytes, expected {expected}.");
                string temporary = DatasetStore.TemporaryPath(directory, name);
                try
                {
                    using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                    {
                        entry.DataStream.CopyTo(output);
                        if (output.Length != expected)
                            throw new InvalidDataException($"{archivePath}: member {entry.Name} ended after {output.Length} of {expected} bytes.");
                    }
                    File.Move(temporary, Path.Combine(directory, name), overwrite: true);
                }
                finally
                {
                    DatasetStore.DeleteQuietly(temporary);
                }
                done.Add(name);
                progress?.Report(new AcquisitionProgress(name, AcquisitionStage.Done, expected, expected, archivePath));
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or OverflowException or ArgumentException || (e is InvalidDataException && !e.Message.StartsWith(archivePath, StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"{archivePath}: not a readable tar.gz archive ({e.Message}).", e);
        }
        var missing = Cifar10Archive.BinFiles.Where(f => !done.Contains(f)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{archivePath}: archive lacks {string.Join(", ", missing)}.");
    }

    private static async Task FetchAsync(HttpClient http, Uri url, string destination, long bytes,
        IProgress<AcquisitionProgress>? progress, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        if (response.Content.Headers.ContentLength is { } declared && declared != bytes)
            throw new InvalidDataException($"server announces {declared} bytes, expected {bytes}.");
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (output.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long total = 0, lastReport = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > bytes) throw new InvalidDataException($"download exceeded the expected {bytes} bytes.");
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    if (total - lastReport >= 1 << 20)
                    {
                        lastReport = total;
                        progress?.Report(new AcquisitionProgress(Cifar10Archive.FileName, AcquisitionStage.Downloading, total, bytes, url.ToString()));
                    }
                }
                if (total != bytes) throw new InvalidDataException($"connection ended after {total} of {bytes} bytes.");
            }
        }
    }
}
