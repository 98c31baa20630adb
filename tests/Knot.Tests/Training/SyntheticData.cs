using Knot.Data;
using Knot.Tensors;

namespace Knot.Tests.Training;

/// <summary>Small deterministic, learnable image data: each class has its own random prototype plus noise.</summary>
public static class SyntheticData
{
    /// <summary>8 × 8 images, fast enough for whole-pipeline tests; models for them come from <see cref="SmallSpec"/>.</summary>
    public static LabeledDataset Small(int count, ulong seed, float noise = 0.8f) => Create(count, height: 8, width: 8, seed: seed, noise: noise);

    /// <summary>A zoo model sized for <see cref="Small"/> data (1 × 8 × 8 inputs, 10 classes).</summary>
    public static Knot.Models.ModelSpec SmallSpec(string model, float width = 0.1f) => new(model, width, 1, 8, 8, 10);

    public static LabeledDataset Create(int count, int channels = 1, int height = 28, int width = 28, int classes = 10, ulong seed = 1, float noise = 0.5f)
    {
        var rng = new KnotRandom(seed);
        int size = channels * height * width;
        var prototypes = new float[classes * size];
        var protoRng = new KnotRandom(999);
        for (int i = 0; i < prototypes.Length; i++) prototypes[i] = (float)protoRng.NextNormal();
        var images = new float[count * size];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % classes;
            labels[n] = label;
            for (int i = 0; i < size; i++)
                images[n * size + i] = prototypes[label * size + i] + noise * (float)rng.NextNormal();
        }
        return new LabeledDataset("synthetic", images, labels, new Shape(channels, height, width), classes);
    }
}
