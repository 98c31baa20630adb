using Knot.Tensors;

namespace Knot.Data;

/// <summary>
/// One batch from a <see cref="DataLoader"/>. Its tensor and label array are the loader's reusable buffers:
/// valid until the loader produces the next batch — copy them to keep them longer.
/// </summary>
public readonly struct Batch
{
    internal Batch(Tensor images, int[] labels, int epoch, int index)
    {
        Images = images;
        Labels = labels;
        Epoch = epoch;
        Index = index;
    }

    /// <summary>(B, C, H, W), or (B, C·H·W) when the loader flattens.</summary>
    public Tensor Images { get; }

    /// <summary>B labels.</summary>
    public int[] Labels { get; }

    public int Count => Labels.Length;
    public int Epoch { get; }

    /// <summary>Position of this batch in its epoch (0-based).</summary>
    public int Index { get; }
}
