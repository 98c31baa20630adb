using Knot.Tensors;

namespace Knot.Data;

/// <summary>
/// An in-memory classification dataset: <see cref="Count"/> float32 images in NCHW order (already normalized)
/// and one integer label per image in [0, <see cref="ClassCount"/>).
/// </summary>
public sealed class LabeledDataset
{
    /// <param name="name">A short name for messages and reports ("mnist-train").</param>
    /// <param name="images">Count × C × H × W values, sample after sample.</param>
    /// <param name="labels">One label per sample.</param>
    /// <param name="imageShape">(C, H, W) of one sample.</param>
    /// <param name="classCount">Number of classes; every label must be below it.</param>
    /// <param name="normalization">What was applied to the raw [0, 1] pixels (null: none).</param>
    public LabeledDataset(string name, float[] images, int[] labels, Shape imageShape, int classCount, ChannelNormalization? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(imageShape);
        if (imageShape.Rank != 3)
            throw new ArgumentException($"Image shape must be (C, H, W), got {imageShape}.", nameof(imageShape));
        if (imageShape.Size == 0)
            throw new ArgumentException($"Image shape {imageShape} has no elements.", nameof(imageShape));
        if (classCount < 1)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "must be >= 1");
        if ((long)labels.Length * imageShape.Size != images.Length)
            throw new ArgumentException(
                $"{labels.Length} labels need {(long)labels.Length * imageShape.Size} image values of shape {imageShape}, got {images.Length}.", nameof(images));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is outside [0, {classCount}).", nameof(labels));
        }
        normalization ??= ChannelNormalization.Identity(imageShape[0]);
        if (normalization.Channels != imageShape[0])
            throw new ArgumentException(
                $"Normalization has {normalization.Channels} channels, images have {imageShape[0]}.", nameof(normalization));

        Name = name;
        Images = images;
        Labels = labels;
        ImageShape = imageShape;
        ClassCount = classCount;
        Normalization = normalization;
    }

    public string Name { get; }

    /// <summary>All images, NCHW, normalized.</summary>
    public float[] Images { get; }

    public int[] Labels { get; }

    /// <summary>(C, H, W) of one sample.</summary>
    public Shape ImageShape { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    /// <summary>Values per sample: C·H·W.</summary>
    public int SampleLength => ImageShape.Size;

    /// <summary>The normalization that turned raw [0, 1] pixels into <see cref="Images"/>.</summary>
    public ChannelNormalization Normalization { get; }

    /// <summary>The values of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Images.AsSpan(index * SampleLength, SampleLength);
    }

    public override string ToString() => $"{Name}: {Count} × {ImageShape}, {ClassCount} classes";
}
