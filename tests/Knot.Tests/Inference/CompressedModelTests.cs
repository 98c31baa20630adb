using Knot.Autograd;
using Knot.Compression.DeepCompression;
using Knot.Compression.Pruning;
using Knot.Inference;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Inference;

public sealed class CompressedModelTests
{
    private static void AssertMatchesDecoded(byte[] bytes, int batch = 7)
    {
        var file = KnotFile.Parse(bytes, "m.knot");
        var decoded = KnotModelFile.FromFile(file, "m.knot").Model;
        var compressed = new CompressedModel(file, "m.knot");
        var x = InferenceTestModels.Input(batch);
        float[] expected;
        using (GradMode.NoGrad()) expected = decoded.Forward(x).Data.ToArray();
        var actual = compressed.Forward(x).Data;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"logit {i}: {expected[i]} vs {actual[i]}");
        int classes = expected.Length / batch;
        for (int r = 0; r < batch; r++)
            Assert.Equal(Metrics.ArgMax(expected.AsSpan(r * classes, classes)), Metrics.ArgMax(actual.AsSpan(r * classes, classes)));
    }

    [Theory]
    [InlineData("dense", "dense-f32")]
    [InlineData("sparse", "csr+f32")]
    [InlineData("sparse-codebook", "csr+codebook")]
    [InlineData("dense-codebook", "dense-codebook")]
    public void LinearKernelsOnStoredFormsMatchTheDecodedModel(string form, string kernel)
    {
        var model = InferenceTestModels.Zoo();
        var plans = form.Contains("codebook", StringComparison.Ordinal) ? InferenceTestModels.PruneAndQuantize(model, form == "sparse-codebook" ? 0.8 : 0.0, 3)
            : new Dictionary<string, TensorStoragePlan>();
        if (form == "sparse") model = PruneOnly(InferenceTestModels.Zoo(), 0.85);
        var request = form switch
        {
            "dense" => EncodingRequest.Dense,
            "sparse" => EncodingRequest.Sparse,
            "sparse-codebook" => EncodingRequest.SparseCodebook,
            _ => EncodingRequest.Codebook,
        };
        foreach (var (name, _, _) in DeepCompressionPipeline.CompressibleLayers(model))
        {
            var codebook = plans.TryGetValue(name + ".weight", out var p) ? p.Codebook : null;
            // Dense codes need the zeros on the codebook too.
            if (form == "dense-codebook" && codebook is not null) codebook = [.. codebook, 0f];
            plans[name + ".weight"] = new TensorStoragePlan(codebook, request);
        }
        var bytes = KnotModelFile.ToBytes(model, InferenceTestModels.Spec(), plans: plans);
        var compressed = new CompressedModel(KnotFile.Parse(bytes, "m.knot"), "m.knot");
        Assert.All(compressed.LinearKernels, k => Assert.Equal(kernel, k.Kernel));
        AssertMatchesDecoded(bytes);
    }

    [Fact]
    public void GroupSumAndBatchNormModelsMatchTheDecodedModel()
    {
        AssertMatchesDecoded(KnotModelFile.ToBytes(InferenceTestModels.Finalized(), null, denseParameters: 1000));
        var growl = InferenceTestModels.Zoo("growl-mnist");
        foreach (var (_, b) in growl.NamedBuffers()) for (int i = 0; i < b.Length; i++) b.Data[i] = 0.3f + 0.02f * i;
        AssertMatchesDecoded(KnotModelFile.ToBytes(growl, InferenceTestModels.Spec("growl-mnist"), plans: InferenceTestModels.PruneAndQuantize(growl, 0.7, 5)));
    }

    [Fact]
    public void ConvolutionModelRunsWithDecodedConvWeights()
    {
        var spec = new ModelSpec("lenet-5-caffe", 0.2f, 1, 28, 28, 10);
        var model = (Sequential)ModelZoo.Create(spec, new KnotRandom(4));
        var plans = InferenceTestModels.PruneAndQuantize(model, 0.8, 5);
        var file = KnotFile.Parse(KnotModelFile.ToBytes(model, spec, plans: plans), "c.knot");
        var compressed = new CompressedModel(file, "c.knot");
        var x = Tensor.Zeros(3, 1, 28, 28);
        var rng = new KnotRandom(1);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextNormal();
        model.Eval();
        float[] expected;
        using (GradMode.NoGrad()) expected = model.Forward(x).Data.ToArray();
        var actual = compressed.Forward(x).Data;
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"logit {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void EvaluatorAgreesWithTheDenseEvaluator()
    {
        var model = InferenceTestModels.Zoo();
        var plans = InferenceTestModels.PruneAndQuantize(model, 0.8, 4);
        var bytes = KnotModelFile.ToBytes(model, InferenceTestModels.Spec(), plans: plans);
        var data = Training.SyntheticData.Create(230, 1, 8, 8);
        var dense = Evaluator.Evaluate(KnotModelFile.FromFile(KnotFile.Parse(bytes, "m"), "m").Model, data, 100);
        var compressed = CompressedEvaluator.Evaluate(new CompressedModel(KnotFile.Parse(bytes, "m"), "m"), data, 100);
        Assert.Equal(dense.Accuracy, compressed.Accuracy);
        Assert.Equal(dense.Loss, compressed.Loss, 4);
    }

    private static Sequential PruneOnly(Sequential model, double sparsity)
    {
        foreach (var (_, w, _) in DeepCompressionPipeline.CompressibleLayers(model))
        {
            var keep = new bool[w.Value.Length];
            MagnitudePruning.MaskBySparsity(w.Data, sparsity, keep);
            MagnitudePruning.ApplyMask(w.Data, keep);
        }
        return model;
    }
}
