using Knot.Autograd;
using Knot.Compression.Combined;
using Knot.Compression.Growl;
using Knot.Compression.SoftSharing;
using Knot.Compression.Tying;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Tensors;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.Combined;

/// <summary>
/// GrOWL structure first, then soft weight-sharing (issue #6's combined pipeline), through the real trainer and files
/// on small synthetic data: the GrOWL invariants survive SWS retraining and snapping, the prior covers exactly the
/// distinct weights, the .knot file holds the finalized network on one codebook and evaluates like the constrained,
/// snapped dense model, and it is smaller than packing the GrOWL checkpoint alone.
/// </summary>
public sealed class CombinedPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-combined-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly GaussianMixturePriorOptions PriorOptions = new() { LearnedComponents = 8, ZeroMixing = 0.9, InitialSigma = 0.05 };

    public static TheoryData<string> Models => new() { "lenet-300-100", "lenet-5-caffe" };

    private static (ModelSpec Spec, string[] Layers, LabeledDataset Train, LabeledDataset Test) Setup(string model) => model == "lenet-5-caffe"
        ? (new ModelSpec(model, 0.2f, 1, 28, 28, 10), ["conv2.weight", "fc1.weight", "fc2.weight"], SyntheticData.Create(160, seed: 3), SyntheticData.Create(60, seed: 4))
        : (new ModelSpec(model, 0.1f, 1, 8, 8, 10), ["fc1.weight", "fc2.weight", "fc3.weight"], SyntheticData.Create(400, 1, 8, 8, seed: 3), SyntheticData.Create(200, 1, 8, 8, seed: 4));

    [Theory]
    [MemberData(nameof(Models))]
    public void KeepsTheStructureStoresTheFinalizedNetworkOnOneCodebookAndEvaluatesLikeTheSnappedModel(string modelName)
    {
        var (spec, layers, train, test) = Setup(modelName);
        var (growlCkpt, structure) = GrowlCheckpoint(spec, layers, train, seed: 11);
        var request = new SoftSharingRequest
        {
            CheckpointPath = growlCkpt, OutPath = Path.Combine(_dir, "combined.knot"), Epochs = modelName == "lenet-5-caffe" ? 2 : 6, BatchSize = 25,
            LearningRate = 2e-3f, Seed = 5, Tau = 0.05f, MeanLearningRate = 3e-3f, LogPrecisionLearningRate = 0.1f, MixingLearningRate = 0.05f,
            Prior = PriorOptions, Structure = structure, RetrainedPath = Path.Combine(_dir, "retrained.ckpt"),
        };
        var r = SoftSharingPipeline.Run(request, train, test);

        // GrOWL invariants after SWS retraining (before snapping) and after snapping: zero groups 0, tied groups identical,
        // and the producer rows that finalizing removes pinned at 0.
        var removed = GrowlFinalizer.RemovedOutputs(r.Model, structure);
        Assert.NotEmpty(removed);
        var retrained = ModelCheckpoint.Load(request.RetrainedPath!);
        foreach (var model in new[] { retrained.Model, r.Model })
        {
            var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
            foreach (var s in structure)
                Assert.True(s.ToTieMap().IsSatisfiedBy(parameters[s.Name].Data), $"{s.Name} lost its GrOWL structure");
            foreach (var (layer, rows) in removed)
            {
                var w = parameters[layer + ".weight"];
                int rowLength = w.Length / w.Shape[0];
                foreach (int row in rows) Assert.False(w.Data.AsSpan(row * rowLength, rowLength).ContainsAnyExcept(0f), $"{layer} row {row} is not zero");
            }
        }
        Assert.Equal(GrowlStructure.ToJson(structure), retrained.Checkpoint.Metadata[SoftSharingPipeline.StructureMetadataKey]);

        // The prior covered the distinct weights only: tied groups once, zero groups and removed rows not at all.
        var g = r.Growl!;
        Assert.Equal(ExpectedDistinct(r.Model, structure, removed), g.DistinctWeights);
        Assert.Equal(SoftSharingHook.SelectWeights(r.Model).Sum(c => (long)c.Parameter.Value.Length), g.CoveredWeights);
        Assert.True(g.DistinctWeights < g.CoveredWeights);
        Assert.Equal(r.Quantization.WeightCount, g.DistinctWeights);
        Assert.Equal((double)r.Quantization.NonZeroCount / g.CoveredWeights, r.NonZeroFraction, 12);

        // Every weight the file stores for a quantized tensor is a value of its single codebook; 0 is its first entry.
        var file = KnotFile.Read(r.KnotPath);
        var codebook = Assert.Single(file.Codebooks);
        Assert.Equal(r.Quantization.Codebook, codebook);
        Assert.Equal(0f, codebook[0]);
        var book = new HashSet<float>(codebook);
        foreach (var name in r.QuantizedTensorNames)
        {
            Assert.True(file.TryGetTensor(name, out var t));
            var values = ((KnotFloatTensor)t).ToDense();
            Assert.All(values, v => Assert.Contains(v, book));
        }

        // The file holds the finalized network (smaller layers), yet its ratio divides the original dense bytes.
        var stored = KnotModelFile.Read(r.KnotPath);
        Assert.Equal(g.StoredParameters, stored.Model.ParameterCount());
        Assert.True(g.StoredParameters < r.Model.ParameterCount());
        Assert.Equal(r.Model.ParameterCount(), stored.DenseParameters);
        Assert.Equal(r.DenseBytes / (double)r.FileBytes, stored.Ratio, 12);
        Assert.Equal("growl+soft-weight-sharing", file.Metadata["knot.method"]);

        // The .knot model computes what the constrained, snapped dense model computes.
        AssertSameOutputs(r.Model, stored.Model, test);
        var fromFile = Evaluator.Evaluate(stored.Model, test);
        Assert.Equal(r.Quantized!.Value.Accuracy, fromFile.Accuracy);
        var compressed = Knot.Inference.CompressedEvaluator.Evaluate(Knot.Inference.CompressedModel.Load(r.KnotPath), test);
        Assert.Equal(r.Quantized.Value.Accuracy, compressed.Accuracy);

        // Smaller than packing the GrOWL checkpoint alone (finalized, each tensor in its cheapest float encoding).
        long growlAlone = PackGrowlAlone(growlCkpt, structure);
        Assert.True(r.FileBytes < growlAlone, $"combined {r.FileBytes} bytes vs GrOWL alone {growlAlone} bytes");

        // Paper accounting: stored non-zeros of the finalized layers, against the original layers' dense bits.
        Assert.Equal(r.Quantization.NonZeroCount, r.PaperStorage.Layers.Sum(l => l.NonZeros));
        Assert.Equal(32L * g.CoveredWeights, r.PaperStorage.DenseBits);
        Assert.True(r.PaperStorage.CompressionRatio > 1);

        // The checkpoint copy is the snapped dense model with the structure, so it re-packs and re-evaluates.
        var copy = ModelCheckpoint.Load(r.CheckpointPath);
        Assert.Equal(r.Quantized.Value.Loss, Evaluator.Evaluate(copy.Model, test).Loss);
        Assert.NotNull(SoftSharingPipeline.StructureOf(r.CheckpointPath));
    }

    [Fact]
    public void SameSeedGivesTheSameFileAndPlainSwsIgnoresTheStructure()
    {
        var (spec, layers, train, test) = Setup("lenet-300-100");
        var (growlCkpt, structure) = GrowlCheckpoint(spec, layers, train, seed: 12);
        SoftSharingRequest Request(string name, IReadOnlyList<LayerStructure>? s) => new()
        {
            CheckpointPath = growlCkpt, OutPath = Path.Combine(_dir, name), Epochs = 2, BatchSize = 50, LearningRate = 2e-3f, Seed = 5, Tau = 0.05f,
            Prior = PriorOptions, Structure = s,
        };
        var a = SoftSharingPipeline.Run(Request("a.knot", structure), train, test);
        var b = SoftSharingPipeline.Run(Request("b.knot", structure), train, test);
        Assert.Equal(File.ReadAllBytes(a.KnotPath), File.ReadAllBytes(b.KnotPath));
        var plain = SoftSharingPipeline.Run(Request("plain.knot", null), train, test);
        Assert.Null(plain.Growl);
        Assert.Equal(plain.Quantization.WeightCount, SoftSharingHook.SelectWeights(plain.Model).Sum(c => (long)c.Parameter.Value.Length));
    }

    [Fact]
    public void AStructureWithoutZerosOrTiesTrainsAndQuantizesExactlyLikePlainSws()
    {
        // Singleton clusters, nothing dead: the constraints and the distinct view must change nothing. Not bit for bit:
        // plain SWS adds the prior gradient into the CE gradient with a fused multiply-add, the view adds a rounded
        // product, so weights may differ in the last bit before snapping (and unsnapped biases keep that trace).
        var (spec, layers, train, test) = Setup("lenet-300-100");
        var (growlCkpt, _) = GrowlCheckpoint(spec, layers, train, seed: 13);
        var model = ModelCheckpoint.Load(growlCkpt).Model;
        var identity = layers.Select(n =>
        {
            var shape = model.NamedParameters().Single(p => p.Name == n).Parameter.Shape.ToArray();
            return new LayerStructure(n, shape, Enumerable.Range(0, shape[1]).ToArray());
        }).ToList();
        SoftSharingRequest Request(string name, IReadOnlyList<LayerStructure>? s) => new()
        {
            CheckpointPath = growlCkpt, OutPath = Path.Combine(_dir, name), Epochs = 2, BatchSize = 50, LearningRate = 2e-3f, Seed = 5, Tau = 0.05f,
            Prior = PriorOptions, Structure = s,
        };
        var plain = SoftSharingPipeline.Run(Request("plain.knot", null), train, test);
        var structured = SoftSharingPipeline.Run(Request("identity.knot", identity), train, test);
        Assert.Equal(plain.Retrained!.Value.Loss, structured.Retrained!.Value.Loss, 1e-6);
        Assert.Equal(plain.Quantization.Codebook, structured.Quantization.Codebook);
        var a = plain.Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.Data);
        foreach (var (name, p) in structured.Model.NamedParameters())
        {
            if (plain.QuantizedTensorNames.Contains(name)) { Assert.True(a[name].AsSpan().SequenceEqual(p.Value.Data), $"{name} differs"); continue; }
            for (int i = 0; i < p.Value.Length; i++) Assert.True(Math.Abs(a[name][i] - p.Value.Data[i]) <= 1e-5 * Math.Max(1, Math.Abs(a[name][i])), $"{name}[{i}]");
        }
        Assert.Equal(plain.Quantized!.Value.Accuracy, structured.Quantized!.Value.Accuracy);
        Assert.Equal(structured.Growl!.CoveredWeights, structured.Growl.DistinctWeights);
    }

    /// <summary>A checkpoint as `knot growl` leaves it: trained, then retrained with a structure that it carries in its metadata.</summary>
    private (string Path, List<LayerStructure> Structure) GrowlCheckpoint(ModelSpec spec, string[] layers, LabeledDataset train, ulong seed)
    {
        var pre = TrainingRun.Run(new TrainRequest { Spec = spec, Optimizer = new Knot.Optim.OptimizerConfig("sgd", 0.05f), Epochs = 2, BatchSize = 32, Seed = seed }, train, null);
        var structure = CombinedTestStructures.Random(pre.Model, layers, seed);
        GrowlStructure.Attach(pre.Model, structure);
        string path = Path.Combine(_dir, $"growl-{seed}.ckpt");
        TrainingRun.Run(new TrainRequest
        {
            Spec = spec, InitialModel = pre.Model, Optimizer = new Knot.Optim.OptimizerConfig("sgd", 0.02f), Epochs = 1, BatchSize = 32, Seed = seed + 1,
            OutPath = path, Metadata = new Dictionary<string, string> { ["structure"] = GrowlStructure.ToJson(structure) },
        }, train, null);
        return (path, structure);
    }

    private long PackGrowlAlone(string ckpt, List<LayerStructure> structure)
    {
        var loaded = ModelCheckpoint.Load(ckpt);
        var sequential = (Sequential)loaded.Model;
        string path = Path.Combine(_dir, "growl-alone.knot");
        KnotModelFile.Write(path, GrowlFinalizer.Finalize(sequential, structure), loaded.Spec, denseParameters: sequential.ParameterCount());
        return new FileInfo(path).Length;
    }

    /// <summary>Per structured weight: kept rows × clusters × kernel elements; unstructured covered weights: kept rows × row.</summary>
    private static long ExpectedDistinct(Module model, List<LayerStructure> structure, Dictionary<string, int[]> removed)
    {
        var byName = structure.ToDictionary(s => s.Name);
        long total = 0;
        foreach (var (name, p) in SoftSharingHook.SelectWeights(model))
        {
            var shape = p.Value.Shape;
            int rows = shape[0] - (removed.TryGetValue(name[..name.LastIndexOf('.')], out var r) ? r.Length : 0);
            int inner = p.Value.Length / (shape[0] * shape[1]);
            int columns = byName.TryGetValue(name, out var s) ? s.ToTieMap().ClusterCount : shape[1];
            total += (long)rows * columns * inner;
        }
        return total;
    }

    private static void AssertSameOutputs(Module dense, Module stored, LabeledDataset test)
    {
        dense.Eval();
        stored.Eval();
        int n = Math.Min(64, test.Count);
        int size = test.SampleLength;
        var x = new Tensor(new Shape(n, test.ImageShape[0], test.ImageShape[1], test.ImageShape[2]), test.Images.AsSpan(0, n * size).ToArray());
        using var _ = GradMode.NoGrad();
        var expected = dense.Forward(x).Data.ToArray();
        var actual = stored.Forward(x).Data.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        int classes = expected.Length / n;
        for (int i = 0; i < n; i++)
        {
            var e = expected.AsSpan(i * classes, classes);
            var a = actual.AsSpan(i * classes, classes);
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(e), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(a));
            float scale = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(e));
            for (int c = 0; c < classes; c++)
                Assert.True(Math.Abs(e[c] - a[c]) <= 1e-5 * scale, $"sample {i} logit {c}: {e[c]} vs {a[c]} (scale {scale})");
        }
    }
}

/// <summary>Random GrOWL-like structures for tests: about 30% of the groups dead, the rest in clusters of varying size.</summary>
internal static class CombinedTestStructures
{
    public static List<LayerStructure> Random(Module model, string[] names, ulong seed)
    {
        var rng = new KnotRandom(seed);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var result = new List<LayerStructure>();
        foreach (var name in names)
        {
            var shape = parameters[name].Shape.ToArray();
            var labels = new int[shape[1]];
            int clusters = 0;
            for (int j = 0; j < labels.Length; j++)
            {
                double u = rng.NextDouble();
                if (u < 0.3 && j > 0) labels[j] = TieMap.Dead;
                else if (u < 0.55 && clusters > 0) labels[j] = (int)(rng.NextDouble() * clusters);
                else labels[j] = clusters++;
            }
            result.Add(new LayerStructure(name, shape, labels));
        }
        return result;
    }
}
