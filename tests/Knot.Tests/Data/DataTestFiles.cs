using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Knot.Tests.Data;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "knot-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Builds small IDX, gzip and CIFAR files byte by byte, independently of the reader under test.</summary>
internal static class DataTestFiles
{
    public static byte[] IdxBytes(int[] dims, byte[] payload, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[] Pattern(int length, int seed = 1)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)((i * 37 + seed * 11 + (i >> 3)) % 256);
        return b;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Writes a split in MNIST layout: n images of h×w and their labels (label i = i % classes).</summary>
    public static (byte[] Images, byte[] Labels) WriteIdxSplit(string dir, string prefix, int n, int h, int w, bool gzip = false,
        int classes = 10, string imagesSuffix = "-images-idx3-ubyte", string labelsSuffix = "-labels-idx1-ubyte")
    {
        var pixels = Pattern(n * h * w, prefix.Length);
        var labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte)(i % classes);
        var images = IdxBytes([n, h, w], pixels);
        var labelFile = IdxBytes([n], labels);
        string ext = gzip ? ".gz" : "";
        File.WriteAllBytes(Path.Combine(dir, prefix + imagesSuffix + ext), gzip ? Gzip(images) : images);
        File.WriteAllBytes(Path.Combine(dir, prefix + labelsSuffix + ext), gzip ? Gzip(labelFile) : labelFile);
        return (pixels, labels);
    }

    /// <summary>A CIFAR batch of records whose pixel value encodes (record, channel, position) and whose label is given.</summary>
    public static byte[] CifarBatch(int records, int firstLabel)
    {
        var bytes = new byte[records * 3073];
        for (int r = 0; r < records; r++)
        {
            int o = r * 3073;
            bytes[o] = (byte)((firstLabel + r) % 10);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 1024; p++)
                    bytes[o + 1 + c * 1024 + p] = CifarPixel(r, c, p);
        }
        return bytes;
    }

    public static byte CifarPixel(int record, int channel, int position) => (byte)((record * 7 + channel * 80 + position) % 256);
}
