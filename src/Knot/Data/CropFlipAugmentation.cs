namespace Knot.Data;

/// <summary>
/// The standard CIFAR augmentation: pad each image by <see cref="Padding"/> pixels, take a random crop of the
/// original size, and flip it horizontally with probability ½. Padding is "zero" in raw pixel terms — black —
/// which after normalization is (0 − mean[c]) / std[c] per channel, exactly as padding before normalizing would
/// give. Randomness comes from a 64-bit key per sample, so results do not depend on batch size or order.
/// </summary>
public sealed class CropFlipAugmentation
{
    public CropFlipAugmentation(int padding = 4, bool horizontalFlip = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
        HorizontalFlip = horizontalFlip;
    }

    private const ulong Field = (1UL << 21) - 1;

    /// <summary>The largest shift <see cref="Shift"/> accepts (a third of an MNIST digit's width).</summary>
    public const int MaxShift = 8;

    /// <summary>
    /// Random translation by up to <paramref name="pixels"/> pixels in x and y (zero-padded crop, no flip), the MNIST
    /// augmentation of `knot dc --shift` and `knot sws --shift`; null for 0 (train on the images as they are).
    /// </summary>
    public static CropFlipAugmentation? Shift(int pixels)
    {
        ValidateShift(pixels);
        return pixels > 0 ? new CropFlipAugmentation(pixels, horizontalFlip: false) : null;
    }

    public static void ValidateShift(int pixels)
    {
        if (pixels < 0 || pixels > MaxShift) throw new ArgumentException($"Shift must be in [0, {MaxShift}] pixels, got {pixels}.");
    }

    public int Padding { get; }
    public bool HorizontalFlip { get; }

    /// <summary>Crop offsets (each in [0, 2·padding]) and flip decision for one random key.</summary>
    public (int OffsetX, int OffsetY, bool Flip) Draw(ulong key)
    {
        // Three disjoint 21-bit fields of the key, so the offsets and the flip are independent.
        int range = 2 * Padding + 1;
        int ox = (int)(((key & Field) * (ulong)range) >> 21);
        int oy = (int)((((key >> 21) & Field) * (ulong)range) >> 21);
        bool flip = HorizontalFlip && ((key >> 42) & 1) != 0;
        return (ox, oy, flip);
    }

    /// <summary>
    /// Writes the augmented copy of one CHW image. <paramref name="fill"/> holds the per-channel pad value.
    /// Output pixel (y, x) takes padded(y + offsetY, x' + offsetX) with x' = W−1−x when flipped.
    /// </summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width,
        ReadOnlySpan<float> fill, ulong key)
    {
        int plane = height * width;
        if (source.Length != channels * plane || destination.Length != channels * plane)
            throw new ArgumentException(
                $"Expected {channels * plane} values for ({channels}, {height}, {width}), got source {source.Length}, destination {destination.Length}.");
        if (fill.Length != channels)
            throw new ArgumentException($"Need one fill value per channel ({channels}), got {fill.Length}.", nameof(fill));

        var (ox, oy, flip) = Draw(key);
        int shiftX = ox - Padding; // source x of output x (before flip) is x + shiftX
        int shiftY = oy - Padding;
        // Output columns whose source column lies inside the image: x + shiftX in [0, width).
        int lo = Math.Max(0, -shiftX);
        int hi = Math.Min(width, width - shiftX); // exclusive
        for (int c = 0; c < channels; c++)
        {
            float pad = fill[c];
            var src = source.Slice(c * plane, plane);
            var dst = destination.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                var row = dst.Slice(y * width, width);
                int sy = y + shiftY;
                if ((uint)sy >= (uint)height || lo >= hi)
                {
                    row.Fill(pad);
                    continue;
                }
                var srcRow = src.Slice(sy * width, width);
                if (!flip)
                {
                    row[..lo].Fill(pad);
                    srcRow.Slice(lo + shiftX, hi - lo).CopyTo(row[lo..hi]);
                    row[hi..].Fill(pad);
                }
                else
                {
                    // Unflipped column u maps to output column width−1−u.
                    for (int u = 0; u < width; u++)
                        row[width - 1 - u] = u >= lo && u < hi ? srcRow[u + shiftX] : pad;
                }
            }
        }
    }
}
