using Knot.Data;

namespace Knot.Tests.Data;

public sealed class CropFlipAugmentationTests
{
    /// <summary>The obvious version: build the padded image, crop at the offsets, then mirror.</summary>
    private static float[] Reference(float[] src, int c, int h, int w, int pad, int ox, int oy, bool flip, float[] fill)
    {
        int ph = h + 2 * pad, pw = w + 2 * pad;
        var padded = new float[c * ph * pw];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++)
                {
                    int sy = y - pad, sx = x - pad;
                    padded[(ch * ph + y) * pw + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx] : fill[ch];
                }
        var output = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int cx = flip ? w - 1 - x : x;
                    output[(ch * h + y) * w + x] = padded[(ch * ph + y + oy) * pw + cx + ox];
                }
        return output;
    }

    [Theory]
    [InlineData(3, 8, 8, 4)]
    [InlineData(1, 5, 7, 2)]
    [InlineData(2, 3, 3, 5)]
    [InlineData(3, 6, 4, 0)]
    public void MatchesPadCropFlipReference(int c, int h, int w, int pad)
    {
        var src = new float[c * h * w];
        for (int i = 0; i < src.Length; i++) src[i] = i + 1;
        float[] fill = [.. Enumerable.Range(0, c).Select(k => -0.5f - k)];
        var aug = new CropFlipAugmentation(pad);
        var dst = new float[src.Length];
        for (ulong k = 0; k < 300; k++)
        {
            ulong key = SeedMixer.Mix(7, 2, k);
            var (ox, oy, flip) = aug.Draw(key);
            aug.Apply(src, dst, c, h, w, fill, key);
            Assert.Equal(Reference(src, c, h, w, pad, ox, oy, flip, fill), dst);
        }
    }

    [Fact]
    public void DrawCoversEveryOffsetAndBothFlipsAndIsDeterministic()
    {
        var aug = new CropFlipAugmentation(4);
        var seen = new HashSet<(int, int, bool)>();
        for (ulong k = 0; k < 20_000; k++)
        {
            var d = aug.Draw(SeedMixer.Mix(1, 2, k));
            Assert.InRange(d.OffsetX, 0, 8);
            Assert.InRange(d.OffsetY, 0, 8);
            Assert.Equal(d, aug.Draw(SeedMixer.Mix(1, 2, k)));
            seen.Add(d);
        }
        Assert.Equal(9 * 9 * 2, seen.Count);
        Assert.All(Enumerable.Range(0, 1000), k => Assert.False(new CropFlipAugmentation(4, horizontalFlip: false).Draw(SeedMixer.Mix(1, 2, (ulong)k)).Flip));
    }

    [Fact]
    public void LoaderAugmentationIsSeededAndPadsWithNormalizedBlack()
    {
        var norm = ChannelNormalization.Cifar10;
        var data = DataLoaderTests.Indexed(40, 3, 6, 6, norm);
        var options = new DataLoaderOptions { BatchSize = 8, Seed = 11, Augmentation = new CropFlipAugmentation(2) };
        float[] Epoch(DataLoader l, int e)
        {
            var all = new List<float>();
            foreach (var b in l.Epoch(e)) all.AddRange(b.Images.Data);
            return [.. all];
        }
        var a = Epoch(new DataLoader(data, options), 0);
        Assert.Equal(a, Epoch(new DataLoader(data, options), 0));
        Assert.NotEqual(a, Epoch(new DataLoader(data, options), 1));
        // Augmentation does not depend on batch size: each sample's key is (seed, epoch, sample).
        var sorted = new DataLoader(data, options with { Shuffle = false, BatchSize = 40 }).GetBatch(0, 0).Images.Data;
        var sorted2 = Epoch(new DataLoader(data, options with { Shuffle = false, BatchSize = 7 }), 0);
        Assert.Equal(sorted, sorted2);
        // Pixels are either the sample's own value or channel c's normalized black.
        var fill = new[] { norm.Apply(0, 0), norm.Apply(1, 0), norm.Apply(2, 0) };
        bool sawPad = false;
        for (int s = 0; s < 40; s++)
            for (int ch = 0; ch < 3; ch++)
                for (int p = 0; p < 36; p++)
                {
                    float v = sorted[(s * 3 + ch) * 36 + p];
                    Assert.True(v == s || v == fill[ch], $"sample {s} channel {ch}: {v}");
                    sawPad |= v == fill[ch];
                }
        Assert.True(sawPad);
    }
}
