using System.Numerics.Tensors;

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
        TensorPrimitives.ConvertTruncating<byte, float>(source, destination);
        TensorPrimitives.Divide(destination, 255f, destination);
        if (IsIdentity) return;
        int sampleLength = planeSize * Channels;
        for (int offset = 0; offset < destination.Length; offset += sampleLength)
        {
            for (int c = 0; c < Channels; c++)
            {
                var plane = destination.Slice(offset + c * planeSize, planeSize);
                TensorPrimitives.Subtract(plane, Mean[c], plane);
                TensorPrimitives.Divide(plane, Std[c], plane);
            }
        }
    }
}
