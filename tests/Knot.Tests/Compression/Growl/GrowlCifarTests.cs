using Knot.Autograd;
using Knot.Compression.Growl;
using Knot.Data;
using Knot.Models;
using Knot.Tensors;

namespace Knot.Tests.Compression.Growl;

public sealed class GrowlCifarTests
{
    /// <summary>CIFAR-10 binary layout: records of 1 label byte + 3072 pixel bytes, five training batches and a test batch.</summary>
    private static string WriteCifar(string dir, int perBatch)
    {
        Directory.CreateDirectory(dir);
        var rng = new KnotRandom(11);
        void Write(string name)
        {
            var bytes = new byte[perBatch * 3073];
            for (int r = 0; r < perBatch; r++)
            {
                int label = r % 10;
                bytes[r * 3073] = (byte)label;
                for (int i = 0; i < 3072; i++) bytes[r * 3073 + 1 + i] = (byte)Math.Clamp(60 + 15 * label + 40 * rng.NextNormal(), 0, 255);
            }
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
        for (int b = 1; b <= 5; b++) Write($"data_batch_{b}.bin");
        Write("test_batch.bin");
        return dir;
    }

    [Fact]
    public void Vgg16RunsTheWholePipelineOnGeneratedCifarFiles()
    {
        var dir = Directory.CreateTempSubdirectory("knot-cifar-").FullName;
        try
        {
            var spec = DataSpec.Parse("cifar10:" + WriteCifar(Path.Combine(dir, "data"), perBatch: 20));
            var train = spec.Load(DataSplit.Train);
            var test = spec.Load(DataSplit.Test);
            Assert.Equal(100, train.Count);
            var result = GrowlPipeline.Run(new GrowlRequest
            {
                Spec = new ModelSpec("vgg16-cifar", 1f / 16, 3, 32, 32, 10), Epochs = 2, RetrainEpochs = 1, BatchSize = 25, Seed = 3,
                OutDirectory = Path.Combine(dir, "out"),
                Regularizer = new RegularizerSpec { Kind = "growl", Lambda1 = 8, Lambda2 = 0.2, Rho = 0.1 },
                Tying = new TyingOptions { Preference = 0.8 },
                Optimizer = new Knot.Optim.OptimizerConfig("sgd", 0.02f),
            }, train, test);
            // Every conv and FC layer with ≥ 2 inputs is regularized; the conv stack loses whole channels.
            Assert.Equal(15, result.Layers.Count); // all 13 convs (conv1 has 3 RGB inputs) and both FC layers
            Assert.True(result.Total.ZeroGroups > 0, "no channel was removed");

            var retrained = Knot.Training.ModelCheckpoint.Load(result.RetrainedPath).Model;
            GrowlStructure.Attach(retrained, result.Structure);
            retrained.Eval();
            var compact = GrowlFinalizer.Finalize(retrained, result.Structure);
            Assert.True(compact.ParameterCount() < retrained.ParameterCount());
            var x = Tensor.FromArray(test.Images.AsSpan(0, 4 * 3072).ToArray(), 4, 3, 32, 32);
            using var _ = GradMode.NoGrad();
            var expected = retrained.Forward(x).Data;
            var actual = compact.Forward(x).Data;
            double scale = expected.Max(v => Math.Abs(v)) + 1e-6;
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"logit {i}: {expected[i]} vs {actual[i]}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
