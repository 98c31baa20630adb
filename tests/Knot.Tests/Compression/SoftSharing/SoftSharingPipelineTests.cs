using Knot.Compression.SoftSharing;
using Knot.Data;
using Knot.Models;
using Knot.Storage.Checkpoints;
using Knot.Storage.Compressed;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.SoftSharing;

/// <summary>
/// Soft weight-sharing through the real trainer and files, on tiny synthetic data and a width-0.1 LeNet-300-100
/// (8×8 inputs): the pipeline must cluster the weights, snap them exactly onto a codebook with an exact zero, and
/// the saved .knot file and checkpoint must reproduce the snapped model's evaluation bit for bit.
/// </summary>
public sealed class SoftSharingPipelineTests : IDisposable
{
    private static readonly ModelSpec Spec = new("lenet-300-100", 0.1f, 1, 8, 8, 10);
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-sws-").FullName;
    private readonly LabeledDataset _train = SyntheticData.Create(400, 1, 8, 8, seed: 3);
    private readonly LabeledDataset _test = SyntheticData.Create(200, 1, 8, 8, seed: 4);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly GaussianMixturePriorOptions PriorOptions = new() { LearnedComponents = 8, ZeroMixing = 0.9, InitialSigma = 0.05 };

    private string Pretrain()
    {
        string path = Path.Combine(_dir, "pre.ckpt");
        TrainingRun.Run(new TrainRequest
        {
            Spec = Spec, Optimizer = new Knot.Optim.OptimizerConfig("sgd", 0.05f), Epochs = 3, BatchSize = 32, Seed = 7, OutPath = path,
        }, _train, _test);
        return path;
    }

    private SoftSharingRequest Request(string ckpt) => new()
    {
        CheckpointPath = ckpt, OutPath = Path.Combine(_dir, "sws.knot"), Epochs = 8, BatchSize = 25, LearningRate = 2e-3f, Seed = 5,
        // 128 steps instead of the tutorial's thousands: a strong τ, a fast prior and narrow initial components
        // (the tiny network's weights span about ±0.5) make that enough to cluster.
        Tau = 0.05f, MeanLearningRate = 3e-3f, LogPrecisionLearningRate = 0.1f, MixingLearningRate = 0.05f,
        Prior = PriorOptions,
    };

    [Fact]
    public void SnapsExactlyOntoTheCodebookAndTheSavedFilesEvaluateLikeTheSnappedModel()
    {
        var request = Request(Pretrain()) with { RetrainedPath = Path.Combine(_dir, "retrained.ckpt") };
        var r = SoftSharingPipeline.Run(request, _train, _test);

        // Every quantized weight is exactly a codebook value, zeros are +0 bits, and the model holds them.
        Assert.Equal(0f, r.Quantization.Codebook[0]);
        var book = new HashSet<float>(r.Quantization.Codebook);
        var named = r.Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        for (int t = 0; t < r.QuantizedTensorNames.Count; t++)
        {
            var data = named[r.QuantizedTensorNames[t]].Value.Data;
            for (int i = 0; i < data.Length; i++)
            {
                Assert.Contains(data[i], book);
                Assert.Equal(r.Quantization.Codebook[r.Quantization.Indices[t][i]], data[i]);
                if (data[i] == 0f) Assert.Equal(0, BitConverter.SingleToInt32Bits(data[i]));
            }
        }
        Assert.True(r.Quantization.NonZeroCount > 0 && r.Quantization.NonZeroFraction < 1, $"non-zero fraction {r.Quantization.NonZeroFraction}");
        Assert.True(r.Quantization.Codebook.Length <= 9, $"codebook of {r.Quantization.Codebook.Length} values from 8 + 1 components");

        // The .knot file rebuilds a model that evaluates exactly like the snapped dense model.
        var snapped = r.Quantized!.Value;
        var (spec, fromKnot) = SoftSharingPipeline.ReadKnot(r.KnotPath);
        Assert.Equal(Spec, spec);
        var knotEval = Evaluator.Evaluate(fromKnot, _test);
        Assert.Equal(snapped.Accuracy, knotEval.Accuracy);
        Assert.Equal(snapped.Loss, knotEval.Loss);
        foreach (var (name, p) in fromKnot.NamedParameters())
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(named[name].Value.Data), $"tensor {name} differs after the .knot round trip");

        var file = KnotFile.Read(r.KnotPath);
        Assert.Equal(r.FileBytes, new FileInfo(r.KnotPath).Length);
        Assert.Single(file.Codebooks);
        Assert.Equal(r.Quantization.Codebook, file.Codebooks[0]);
        Assert.Equal(r.Model.ParameterCount().ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata["dense_parameters"]);
        Assert.True(file.Metadata.ContainsKey("knot.architecture"));
        Assert.Equal(4L * r.Model.ParameterCount(), r.DenseBytes);

        // The checkpoint copy carries the codebook and evaluates the same.
        var loaded = ModelCheckpoint.Load(r.CheckpointPath);
        var codebook = System.Text.Json.JsonSerializer.Deserialize<float[]>(loaded.Checkpoint.Metadata[SoftSharingPipeline.CodebookMetadataKey]);
        Assert.Equal(r.Quantization.Codebook, codebook);
        var ckptEval = Evaluator.Evaluate(loaded.Model, _test);
        Assert.Equal(snapped.Loss, ckptEval.Loss);

        // Paper accounting counts exactly the non-zeros of the quantized tensors.
        Assert.Equal(r.Quantization.NonZeroCount, r.PaperStorage.Layers.Sum(l => l.NonZeros));
        Assert.Equal(r.Quantization.NonZeroCount, r.PaperStorageHuffman.Layers.Sum(l => l.NonZeros));
        Assert.True(r.PaperStorage.CompressionRatio > 1);

        // The retrained checkpoint carries the trained prior: quantizing it again without retraining reproduces the result.
        var again = SoftSharingPipeline.Run(request with { CheckpointPath = request.RetrainedPath!, Epochs = 0, RetrainedPath = null, OutPath = Path.Combine(_dir, "again.knot") }, _train, _test);
        Assert.Equal(r.Quantization.Codebook, again.Quantization.Codebook);
        Assert.Equal(r.Retrained!.Value.Loss, again.Pretrained!.Value.Loss);
        Assert.Equal(snapped.Loss, again.Quantized!.Value.Loss);
        // The same stored tensors; only the (compressed) settings metadata differs (epochs 0), so the file may differ by a byte.
        static long[] TensorBytes(string path) => [.. Knot.Storage.Compressed.KnotFile.Read(path).Tensors.Select(t => t.StoredBytes)];
        Assert.Equal(TensorBytes(r.KnotPath), TensorBytes(again.KnotPath));

        // Retraining kept the network useful (pretraining reaches ~100% on this data).
        Assert.True(r.Retrained!.Value.Accuracy > 0.8, $"retrained accuracy {r.Retrained.Value.Accuracy}");
        Assert.True(snapped.Accuracy > 0.5, $"quantized accuracy {snapped.Accuracy}");
    }

    [Fact]
    public void RetrainingUnderThePriorClustersTheWeightsAndLowersTheLoss()
    {
        var loaded = ModelCheckpoint.Load(Pretrain());
        var covered = SoftSharingHook.SelectWeights(loaded.Model);
        Assert.Equal(3, covered.Count);
        Assert.All(covered, c => Assert.True(c.Parameter.Value.Shape.Rank >= 2));
        Assert.Equal(6, SoftSharingHook.SelectWeights(loaded.Model, includeBiases: true).Count);

        var weights = covered.Select(c => c.Parameter.Value).ToList();
        var prior = GaussianMixturePrior.FromWeights(weights.Select(w => w.Data).ToList(), PriorOptions);
        double spreadBefore = Spread(weights, prior);
        float[] meansBefore = (float[])prior.Means.Clone();
        var request = Request("unused");
        var hook = new SoftSharingHook(prior, weights, request.HookOptions(_train.Count));
        Assert.Equal(3, hook.PriorOptimizer.Groups.Count);

        var trainer = new Trainer(loaded.Model, new Knot.Optim.OptimizerConfig("adam", request.LearningRate).Create(loaded.Model.Parameters()),
            new TrainerOptions { Epochs = request.Epochs, BatchSize = request.BatchSize, Seed = 5 });
        trainer.Hooks.Add(hook);
        var history = trainer.Fit(_train, _test);

        double spreadAfter = Spread(weights, prior);
        Assert.True(spreadAfter < 0.5 * spreadBefore, $"weights did not cluster: mean distance to the nearest mean {spreadBefore} → {spreadAfter}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss, $"loss did not decrease: {history[0].TrainLoss} → {history[^1].TrainLoss}");
        Assert.False(prior.Means.AsSpan().SequenceEqual(meansBefore), "the prior's means were not trained");
        foreach (var key in new[] { "sws.prior_loss", "sws.components", "sws.nonzero_fraction", "sws.codebook_size", "sws.pi0" })
            Assert.True(history[^1].Extra.ContainsKey(key), $"epoch record lacks {key}");
        Assert.InRange(history[^1].Extra["sws.nonzero_fraction"], 0, 1);
        Assert.True(double.IsFinite(hook.LastComplexityLoss));
    }

    [Fact]
    public void TauWarmsUpLinearlyAndBadSettingsAreRejected()
    {
        var prior = GaussianMixturePrior.FromRange(-1, 1, new GaussianMixturePriorOptions { LearnedComponents = 4 });
        var w = Tensors.Tensor.FromArray(new float[] { 0.1f, -0.2f, 0.3f, 0.5f }, 2, 2);
        var hook = new SoftSharingHook(prior, [w], new SoftSharingHookOptions { TrainingSetSize = 100, Tau = 0.01f, TauWarmupEpochs = 2 });
        var model = new Knot.Nn.Sequential(new Knot.Nn.Linear(2, 2, new Tensors.KnotRandom(1)));
        var trainer = new Trainer(model, new Knot.Optim.OptimizerConfig("adam", 1e-3f).Create(model.Parameters()), new TrainerOptions { Epochs = 3, BatchSize = 1 });
        var seen = new List<float>();
        trainer.Hooks.Add(new Probe(c => seen.Add(hook.CurrentTau(c))));
        var data = new LabeledDataset("tiny", new float[] { 1, 0, 0, 1 }, [0, 1], new Tensors.Shape(1, 1, 2), 2);
        trainer.Fit(data, null);
        Assert.Equal([0.0025f, 0.005f, 0.0075f, 0.01f, 0.01f, 0.01f], seen);

        Assert.Throws<ArgumentException>(() => new SoftSharingHook(prior, [], new SoftSharingHookOptions { TrainingSetSize = 10 }));
        Assert.Throws<ArgumentException>(() => new SoftSharingHook(prior, [w], new SoftSharingHookOptions { TrainingSetSize = 0 }));
        Assert.Throws<ArgumentException>(() => new SoftSharingHook(prior, [w], new SoftSharingHookOptions { TrainingSetSize = 10, Tau = float.NaN }));
        Assert.Throws<ArgumentException>(() => (Request("x") with { Epochs = -1 }).Validate());
        Assert.Throws<ArgumentException>(() => (Request("x") with { LearningRate = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (Request("x") with { Schedule = "sideways" }).Validate());
    }

    [Fact]
    public void AMissingCheckpointNamesTheFile()
    {
        var e = Assert.ThrowsAny<Exception>(() => SoftSharingPipeline.Run(Request(Path.Combine(_dir, "nope.ckpt")), _train, _test));
        Assert.Contains("nope.ckpt", e.Message, StringComparison.Ordinal);
    }

    private sealed class Probe(Action<StepContext> onStep) : ITrainingHook
    {
        public double AfterBackward(StepContext context)
        {
            onStep(context);
            return 0;
        }
    }

    /// <summary>Mean |w − nearest learned mean or 0| over all covered weights.</summary>
    private static double Spread(IReadOnlyList<Tensors.Tensor> weights, GaussianMixturePrior prior)
    {
        double sum = 0;
        long n = 0;
        foreach (var w in weights)
        {
            foreach (var v in w.Data)
            {
                double best = Math.Abs(v);
                foreach (var m in prior.Means) best = Math.Min(best, Math.Abs(v - m));
                sum += best;
                n++;
            }
        }
        return sum / n;
    }
}
