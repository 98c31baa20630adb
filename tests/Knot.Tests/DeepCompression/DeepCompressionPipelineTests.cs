using Knot.Compression.DeepCompression;
using Knot.Inference;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Storage.Compressed;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.DeepCompression;

public sealed class DeepCompressionPipelineTests
{
    [Fact]
    public void EndToEndOnSyntheticDataPacksAFileThatEvaluatesLikeTheModel()
    {
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10);
        var train = Training.SyntheticData.Create(400, 1, 8, 8, seed: 1);
        var test = Training.SyntheticData.Create(200, 1, 8, 8, seed: 2);
        var model = (Sequential)ModelZoo.Create(spec, new KnotRandom(1));
        new Trainer(model, new OptimizerConfig("sgd", 0.05f).Create(model.Parameters()), new TrainerOptions { Epochs = 3, BatchSize = 32 }).Fit(train, null);
        var options = new DeepCompressionOptions
        {
            Pruning = PruningRule.BySparsity(0.8), LayerPruning = new Dictionary<string, PruningRule> { ["fc3"] = PruningRule.ByQuality(0.5) },
            RetrainEpochs = 1, FineTuneEpochs = 1, LinearBits = 4, BatchSize = 32, Optimizer = new OptimizerConfig("sgd", 0.02f, 0.9f),
        };
        string path = Path.Combine(Path.GetTempPath(), $"knot-dc-{Guid.NewGuid():N}.knot");
        try
        {
            var r = DeepCompressionPipeline.Run(model, spec, options, train, test, path);
            Assert.True(r.OriginalAccuracy > 0.9, $"trained accuracy {r.OriginalAccuracy}");
            Assert.True(r.FineTunedAccuracy > 0.85, $"compressed accuracy {r.FineTunedAccuracy}");
            Assert.Equal(new[] { "fc1", "fc2", "fc3" }, r.Layers.Select(l => l.Name));
            Assert.Equal(0.2, r.Layers[0].Density, 3);
            Assert.All(r.Layers, l => Assert.Equal(4, l.Bits));
            Assert.Equal(new FileInfo(path).Length, r.FileBytes);
            Assert.True(r.Ratio > 5, $"ratio {r.Ratio}");
            Assert.True(r.PaperRatioPQH >= r.PaperRatioPQ * 0.99, $"Huffman {r.PaperRatioPQH} vs P+Q {r.PaperRatioPQ}");

            // Every compressed weight is on its layer's ≤16-entry codebook, and compressed inference reproduces the accuracy.
            var file = KnotFile.Read(path);
            var fc1 = Assert.IsAssignableFrom<KnotFloatTensor>(file["fc1.weight"]);
            Assert.True(fc1.ToDense().Where(v => v != 0).Distinct().Count() <= 16);
            var accuracy = CompressedEvaluator.Evaluate(CompressedModel.Load(path), test).Accuracy;
            Assert.Equal(r.FineTunedAccuracy!.Value, accuracy, 10);
            Assert.Empty(model.Parameters().SelectMany(p => p.Constraints));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HalfPrecisionBiasesSaveTwoBytesEachAndTheReportedAccuracyIsTheFilesAccuracy()
    {
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10);
        var train = Training.SyntheticData.Create(300, 1, 8, 8, seed: 4);
        var test = Training.SyntheticData.Create(200, 1, 8, 8, seed: 5);
        var options = new DeepCompressionOptions
        {
            Pruning = PruningRule.BySparsity(0.7), RetrainEpochs = 1, FineTuneEpochs = 1, LinearBits = 4, BatchSize = 32,
            Optimizer = new OptimizerConfig("sgd", 0.02f, 0.9f),
        };
        Sequential Fresh() => (Sequential)ModelZoo.Create(spec, new KnotRandom(3));
        string full = Path.Combine(Path.GetTempPath(), $"knot-dc32-{Guid.NewGuid():N}.knot"), half = full.Replace("dc32", "dc16");
        try
        {
            var r32 = DeepCompressionPipeline.Run(Fresh(), spec, options, train, test, full);
            var model = Fresh();
            var r16 = DeepCompressionPipeline.Run(model, spec, options with { BiasBits = 16 }, train, test, half);
            int biases = model.NamedParameters().Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)).Sum(p => p.Parameter.Value.Length);
            Assert.Equal(30 + 10 + 10, biases);
            Assert.Equal(r32.FileBytes - 2 * biases, r16.FileBytes);
            Assert.True(r16.PaperRatioPQ > r32.PaperRatioPQ);
            var file = KnotFile.Read(half);
            foreach (var name in new[] { "fc1.bias", "fc2.bias", "fc3.bias" })
            {
                Assert.Equal(ValueCoding.Float16, file[name].Encoding.Values);
                Assert.All(file.GetDense(name), v => Assert.Equal(v, (float)(Half)v));
            }
            Assert.Equal(r16.FineTunedAccuracy!.Value, CompressedEvaluator.Evaluate(CompressedModel.Load(half), test).Accuracy, 10);
            Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(Fresh(), spec, options with { BiasBits = 8 }, train, null));
        }
        finally
        {
            File.Delete(full);
            File.Delete(half);
        }
    }

    [Fact]
    public void IterativePruningReachesTheTargetExactlyAndNeverRevivesAWeight()
    {
        var spec = new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10);
        var train = Training.SyntheticData.Create(200, 1, 8, 8, seed: 3);
        var model = (Sequential)ModelZoo.Create(spec, new KnotRandom(2));
        // Weights pruned by the first round (with 3 rounds the first keeps 0.1^(1/3) ≈ 46%) must still be zero at the end.
        var fc1 = DeepCompressionPipeline.CompressibleLayers(model)[0].Weight;
        var firstRound = new bool[fc1.Value.Length];
        Knot.Compression.Pruning.MagnitudePruning.MaskBySparsity(fc1.Data, 1 - Math.Pow(0.1, 1.0 / 3), firstRound);
        var options = new DeepCompressionOptions
        {
            Pruning = PruningRule.BySparsity(0.9), PruneSteps = 3, RetrainEpochs = 3, FineTuneEpochs = 0, LinearBits = 4, BatchSize = 32,
            Optimizer = new OptimizerConfig("sgd", 0.05f, 0.9f, WeightDecay: 1e-3f),
        };
        var r = DeepCompressionPipeline.Run(model, spec, options, train, null);
        Assert.All(r.Layers, l => Assert.Equal(0.1, l.Density, 2));
        for (int i = 0; i < firstRound.Length; i++)
            if (!firstRound[i]) Assert.Equal(0f, fc1.Data[i]);
        Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(model, spec, options with { PruneSteps = 0 }, train, null));
    }

    [Fact]
    public void InvalidOptionsAndUnknownLayersAreArgumentErrors()
    {
        var model = (Sequential)ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(1));
        var data = Training.SyntheticData.Create(20, 1, 8, 8);
        Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(model, null, new DeepCompressionOptions { LinearBits = 0 }, data, null));
        Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(model, null, new DeepCompressionOptions { Pruning = PruningRule.BySparsity(1.5) }, data, null));
        var e = Assert.Throws<ArgumentException>(() => DeepCompressionPipeline.Run(model, null,
            new DeepCompressionOptions { LayerPruning = new Dictionary<string, PruningRule> { ["conv9"] = PruningRule.ByQuality(1) } }, data, null));
        Assert.Contains("conv9", e.Message, StringComparison.Ordinal);
    }
}
