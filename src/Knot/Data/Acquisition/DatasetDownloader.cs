using System.Net;

namespace Knot.Data.Acquisition;

/// <summary>
/// Downloads a dataset's NAME.gz files over HTTP(S), trying each mirror in turn. Each download streams into a
/// temporary file (capped so a misbehaving server cannot fill the disk), is verified against the manifest's
/// decompressed size and SHA-256, and only then moved into place.
/// </summary>
public sealed class DatasetDownloader
{
    private readonly HttpClient _http;

    /// <param name="http">The client to use (its lifetime belongs to the caller).</param>
    public DatasetDownloader(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <summary>Downloads every file of <paramref name="manifest"/> into <paramref name="targetDirectory"/>.</summary>
    public async Task DownloadAsync(DatasetManifest manifest, string targetDirectory,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (var file in manifest.Files)
            await DownloadFileAsync(manifest, file, targetDirectory, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads one file, trying the mirrors in order; throws IOException listing every mirror's failure.</summary>
    public async Task<string> DownloadFileAsync(DatasetManifest manifest, DatasetFile file, string targetDirectory,
        IProgress<AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        if (manifest.Mirrors.Count == 0)
            throw new ArgumentException($"Manifest '{manifest.Name}' lists no mirrors.", nameof(manifest));

        return await MirrorFallback.FirstSuccessAsync(manifest.Mirrors.Select(m => new Uri(m, file.Name + ".gz")), file.Name, targetDirectory,
            async (url, temporary) =>
            {
                await FetchAsync(url, temporary, file, progress, cancellationToken).ConfigureAwait(false);
                progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Verifying, new FileInfo(temporary).Length, null, url.ToString()));
                DatasetVerifier.Verify(temporary, file);
                string installed = DatasetStore.Install(temporary, targetDirectory, file, CompressedInput.IsGzip(temporary));
                progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Done, new FileInfo(installed).Length, null, url.ToString()));
                return installed;
            }, progress, $"Could not download {file.Name} from any mirror", cancellationToken).ConfigureAwait(false);
    }

    private async Task FetchAsync(Uri url, string destination, DatasetFile file, IProgress<AcquisitionProgress>? progress,
        CancellationToken cancellationToken)
    {
        // Deflate's worst case (stored blocks) adds 5 bytes per 64 KiB plus a small header: this cap is generous
        // for any honest gzip of the file and still bounds what a broken server can send.
        long cap = file.Bytes + file.Bytes / 64 + 65_536;
        using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        long? declared = response.Content.Headers.ContentLength;
        if (declared > cap)
            throw new InvalidDataException($"server announces {declared} bytes, more than the {cap} a gzip of {file.Name} can take.");

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (output.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                long lastReport = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > cap)
                        throw new InvalidDataException($"download exceeded {cap} bytes, more than a gzip of {file.Name} can take.");
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    if (total - lastReport >= 1 << 20)
                    {
                        lastReport = total;
                        progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Downloading, total, declared, url.ToString()));
                    }
                }
                if (declared is { } expected && total != expected)
                    throw new InvalidDataException($"connection ended after {total} of {expected} bytes.");
                progress?.Report(new AcquisitionProgress(file.Name, AcquisitionStage.Downloading, total, declared, url.ToString()));
            }
        }
    }
}
