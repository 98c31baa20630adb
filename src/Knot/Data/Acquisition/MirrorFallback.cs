namespace Knot.Data.Acquisition;

/// <summary>
/// Tries a download at each mirror in order: each attempt gets its own temporary file (always deleted afterwards);
/// a network, timeout, I/O or verification failure moves on to the next mirror, and when every mirror failed the
/// IOException lists each one's reason. Cancellation by the caller is not a mirror failure and propagates.
/// </summary>
internal static class MirrorFallback
{
    public static async Task<T> FirstSuccessAsync<T>(IEnumerable<Uri> urls, string fileName, string directory,
        Func<Uri, string, Task<T>> attempt, IProgress<AcquisitionProgress>? progress, string failureMessage, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var url in urls)
        {
            string temporary = DatasetStore.TemporaryPath(directory, fileName);
            try
            {
                return await attempt(url, temporary).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException
                                          || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                string reason = e is TaskCanceledException ? "timed out" : e.Message.Replace(temporary, "download", StringComparison.Ordinal);
                failures.Add($"{url}: {reason}");
                progress?.Report(new AcquisitionProgress(fileName, AcquisitionStage.MirrorFailed, 0, null, url.ToString(), reason));
            }
            finally
            {
                DatasetStore.DeleteQuietly(temporary);
            }
        }
        throw new IOException($"{failureMessage}: {string.Join("; ", failures)}");
    }
}
