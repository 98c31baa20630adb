using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Knot.Data;

/// <summary>
/// Per-channel affine normalization of pixels already scaled to [0, 1]: x ↦ (x − mean[c]) / std[c].
/// Kept with the dataset so that padding, de-normalization and reports know what the numbers mean.
/// </summary>
public sealed class ChannelNormalization
{
    public ChannelNormalization(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Need one mean and one std per channel, got {mean.Length} means and {std.Length} stds.", nameof(std));
        for (int c = 0; c < std.Length; c++)
        {
            if (!float.IsFinite(mean[c])) throw new ArgumentException($"Mean of channel {c} is {mean[c]}, must be finite.", nameof(mean));
            if (!(std[c] > 0) || !float.IsFinite(std[c])) throw new ArgumentException($"Std of channel {c} is {std[c]}, must be finite and > 0.", nameof(std));
        }
        Mean = (float[])mean.Clone();
        Std = (float[])std.Clone();
        IsIdentity = Mean.All(m => m == 0) && Std.All(s => s == 1);
    }

    /// <summary>MNIST's customary statistics (training-set mean 0.1307, std 0.3081).</summary>
    public static ChannelNormalization Mnist { get; } = new([0.1307f], [0.3081f]);

    /// <summary>CIFAR-10 training-set per-channel statistics (RGB).</summary>
    public static ChannelNormalization Cifar10 { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>No normalization: pixels stay in [0, 1].</summary>
    public static ChannelNormalization Identity(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        var mean = new float[channels];
        var std = new float[channels];
        Array.Fill(std, 1f);
        return new ChannelNormalization(mean, std);
    }

    public float[] Mean { get; }
    public float[] Std { get; }
    public int Channels => Mean.Length;

    public bool IsIdentity { get; }

    /// <summary>The normalized value of a raw pixel <paramref name="raw"/> (in [0, 1]) in channel <paramref name="channel"/>.</summary>
    public float Apply(int channel, float raw) => (raw - Mean[channel]) / Std[channel];

    /// <summary>
    /// Converts bytes (0..255) of CHW samples to normalized floats with the same IEEE operations as PyTorch's
    /// ToTensor + Normalize — x = b / 255, then (x − mean) / std — so the values match bit for bit.
    /// </summary>
    internal void ConvertBytes(ReadOnlySpan<byte> source, Span<float> destination, int planeSize)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Source has {source.Length} values, destination {destination.Length}.", nameof(destination));
        int sampleLength = planeSize * Channels;
        if (sampleLength == 0 || source.Length % sampleLength != 0)
            throw new ArgumentException($"{source.Length} values are not whole samples of {Channels}x{planeSize}.", nameof(source));
        for (int offset = 0; offset < destination.Length; offset += sampleLength)
        {
            for (int c = 0; c < Channels; c++)
            {
                int start = offset + c * planeSize;
                ConvertPlane(source.Slice(start, planeSize), destination.Slice(start, planeSize), Mean[c], Std[c]);
            }
        }
    }

    /// <summary>
    /// One fused pass per plane: widen bytes to float, divide by 255, subtract, divide. Division (not a multiply by
    /// the reciprocal) keeps results identical to the reference formula; the vector and scalar paths use the same
    /// correctly rounded IEEE operations, so they agree bit for bit.
    /// </summary>
    internal static void ConvertPlane(ReadOnlySpan<byte> source, Span<float> destination, float mean, float std)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && source.Length >= Vector256<byte>.Count)
        {
            var v255 = Vector256.Create(255f);
            var vMean = Vector256.Create(mean);
            var vStd = Vector256.Create(std);
            ref byte src = ref MemoryMarshal.GetReference(source);
            ref float dst = ref MemoryMarshal.GetReference(destination);
            for (; i <= source.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var bytes = Vector256.LoadUnsafe(ref src, (nuint)i);
                var (lo16, hi16) = Vector256.Widen(bytes);
                var (a, b) = Vector256.Widen(lo16);
                var (c, d) = Vector256.Widen(hi16);
                Store(a, ref dst, i);
                Store(b, ref dst, i + 8);
                Store(c, ref dst, i + 16);
                Store(d, ref dst, i + 24);
            }

            void Store(Vector256<uint> v, ref float to, int at)
            {
                var x = Vector256.ConvertToSingle(v.AsInt32()) / v255;
                ((x - vMean) / vStd).StoreUnsafe(ref to, (nuint)at);
            }
        }
        for (; i < source.Length; i++)
            destination[i] = (source[i] / 255f - mean) / std;
    }
}
