using System.Buffers.Binary;
using System.IO.Compression;
using Knot.Storage.Common;

namespace Knot.Reporting.Svg;

/// <summary>
/// A minimal RGB PNG writer (IHDR, one zlib IDAT, IEND) so large matrices can be embedded in an SVG as one image
/// instead of hundreds of thousands of &lt;rect&gt; elements. Uses only the BCL's zlib.
/// </summary>
public static class PngEncoder
{
    /// <summary>PNG bytes of a width×height RGB image (3 bytes per pixel, row-major).</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgb)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"Image must be at least 1×1, got {width}×{height}.");
        if (rgb.Length != 3L * width * height) throw new ArgumentException($"Expected {3L * width * height} RGB bytes, got {rgb.Length}.", nameof(rgb));
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(rgb.Slice(y * width * 3, width * 3));
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    public static string DataUri(int width, int height, ReadOnlySpan<byte> rgb) => "data:image/png;base64," + Convert.ToBase64String(Encode(width, height, rgb));

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        s.Write(four);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc32.Compute(typed));
        s.Write(four);
    }
}
