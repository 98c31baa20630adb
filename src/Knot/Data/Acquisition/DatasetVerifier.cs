using System.Security.Cryptography;

namespace Knot.Data.Acquisition;

/// <summary>Checks that a file (raw or gzip) decompresses to exactly the manifest's size and SHA-256.</summary>
public static class DatasetVerifier
{
    /// <summary>Throws InvalidDataException naming the file and the expected vs actual size or hash.</summary>
    public static void Verify(string path, DatasetFile expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        using var stream = CompressedInput.Open(path, out bool gzip, out long fileLength);
        if (!gzip && fileLength != expected.Bytes)
            throw new InvalidDataException($"{path}: expected {expected.Bytes} bytes for {expected.Name}, found {fileLength}.");
        if (gzip && expected.Bytes > CompressedInput.MaxDeflateRatio * fileLength + 1024)
            throw new InvalidDataException($"{path}: a {fileLength}-byte gzip file cannot hold the {expected.Bytes} bytes of {expected.Name}.");

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        while (true)
        {
            // Read at most one byte past the expected size: enough to detect "too long" without inflating a bomb.
            int want = (int)Math.Min(buffer.Length, expected.Bytes + 1 - total);
            int n = CompressedInput.ReadFully(stream, buffer.AsSpan(0, want), path);
            if (n == 0) break;
            total += n;
            if (total > expected.Bytes)
                throw new InvalidDataException($"{path}: decompresses to more than the {expected.Bytes} bytes expected for {expected.Name}.");
            sha.AppendData(buffer, 0, n);
            if (n < want) break;
        }
        if (total != expected.Bytes)
            throw new InvalidDataException($"{path}: expected {expected.Bytes} bytes{(gzip ? " (decompressed)" : "")} for {expected.Name}, found {total}.");
        string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: SHA-256 of {expected.Name} is {actual}, expected {expected.Sha256}.");
    }

    /// <summary>True when <see cref="Verify"/> passes; <paramref name="problem"/> says why not otherwise.</summary>
    public static bool TryVerify(string path, DatasetFile expected, out string? problem)
    {
        try
        {
            Verify(path, expected);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }
}
