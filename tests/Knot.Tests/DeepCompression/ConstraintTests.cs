using Knot.Compression.DeepCompression;
using Knot.Compression.Pruning;
using Knot.Compression.Quantization;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.DeepCompression;

public sealed class ConstraintTests
{
    private static readonly ModelSpec Spec = new("lenet-300-100", 0.1f, 1, 8, 8, 10);

    [Fact]
    public void MaskConstraintKeepsPrunedWeightsZeroThroughMomentumAndWeightDecay()
    {
        var model = (Sequential)ModelZoo.Create(Spec, new KnotRandom(1));
        var masks = new List<(Parameter W, bool[] Keep, float[] Before)>();
        foreach (var (_, w, _) in DeepCompressionPipeline.CompressibleLayers(model))
        {
            var keep = new bool[w.Value.Length];
            MagnitudePruning.MaskBySparsity(w.Data, 0.7, keep);
            MagnitudePruning.ApplyMask(w.Data, keep);
            w.Constraints.Add(new MaskConstraint(keep));
            masks.Add((w, keep, w.Data.ToArray()));
        }
        var optimizer = new OptimizerConfig("sgd", 0.05f, 0.9f, WeightDecay: 1e-3f).Create(model.Parameters());
        var trainer = new Trainer(model, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 32 });
        trainer.Fit(Training.SyntheticData.Create(200, 1, 8, 8), null);
        foreach (var (w, keep, before) in masks)
        {
            int changed = 0;
            for (int i = 0; i < keep.Length; i++)
            {
                if (!keep[i]) Assert.Equal(0f, w.Data[i]);
                else if (w.Data[i] != before[i]) changed++;
            }
            Assert.True(changed > keep.Count(k => k) / 2, "surviving weights should train");
        }
    }

    [Fact]
    public void CodebookConstraintKeepsEveryWeightOnTheCodebookWithMomentum()
    {
        var model = (Sequential)ModelZoo.Create(Spec, new KnotRandom(2));
        var layers = new List<(Parameter W, QuantizedLayer Q, float[] Initial)>();
        foreach (var (_, w, _) in DeepCompressionPipeline.CompressibleLayers(model))
        {
            var keep = new bool[w.Value.Length];
            MagnitudePruning.MaskBySparsity(w.Data, 0.6, keep);
            var q = LayerQuantizer.Quantize(w.Data, keep, 8);
            q.WriteWeights(w.Data);
            w.Constraints.Add(new CodebookConstraint(q));
            layers.Add((w, q, (float[])q.Codebook.Clone()));
        }
        var optimizer = new OptimizerConfig("sgd", 0.02f, 0.9f, WeightDecay: 1e-4f).Create(model.Parameters());
        var trainer = new Trainer(model, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 25 });
        trainer.Fit(Training.SyntheticData.Create(150, 1, 8, 8), null);
        foreach (var (w, q, initial) in layers)
        {
            for (int i = 0; i < w.Value.Length; i++)
                Assert.Equal(q.Indices[i] == QuantizedLayer.Pruned ? 0f : q.Codebook[q.Indices[i]], w.Data[i]);
            Assert.NotEqual(initial, q.Codebook); // centroids moved
        }
    }

    [Fact]
    public void PlainSgdStepMovesEachCentroidBySummedGradient()
    {
        var model = (Sequential)ModelZoo.Create(Spec, new KnotRandom(3));
        var (_, w, _) = DeepCompressionPipeline.CompressibleLayers(model)[0];
        var keep = new bool[w.Value.Length];
        MagnitudePruning.MaskBySparsity(w.Data, 0.5, keep);
        var q = LayerQuantizer.Quantize(w.Data, keep, 4);
        q.WriteWeights(w.Data);
        var constraint = new CodebookConstraint(q);
        var before = (float[])q.Codebook.Clone();
        var grad = w.Grad.Data;
        var rng = new KnotRandom(4);
        for (int i = 0; i < grad.Length; i++) grad[i] = (float)rng.NextNormal();
        var summed = new float[4];
        CentroidFineTuning.SumGradients(grad, q.Indices, summed);
        const float lr = 0.01f;
        constraint.TransformGradient(w);
        var sgd = new Sgd([new ParameterGroup([w], lr)], momentum: 0f);
        sgd.Step();
        constraint.Enforce(w);
        for (int j = 0; j < 4; j++) Assert.Equal(before[j] - lr * summed[j], q.Codebook[j], 5);
        for (int i = 0; i < grad.Length; i++) Assert.Equal(q.Indices[i] < 0 ? 0f : q.Codebook[q.Indices[i]], w.Data[i]);
    }
}
