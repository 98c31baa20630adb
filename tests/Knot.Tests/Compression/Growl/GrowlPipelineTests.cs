using Knot.Autograd;
using Knot.Compression.Growl;
using Knot.Compression.Tying;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.Growl;

public sealed class GrowlPipelineTests
{
    private static readonly LabeledDataset Train = SyntheticData.Small(512, seed: 1);
    private static readonly LabeledDataset Test = SyntheticData.Small(200, seed: 2);

    private static ModelSpec Spec(string name, float width = 0.1f) => SyntheticData.SmallSpec(name, width);

    [Fact]
    public void ProximalTrainingZeroesGroupsAndTheyStayZero()
    {
        var model = ModelZoo.Create(Spec("growl-mnist"), new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05, LambdaPerStep = false };
        var targets = reg.Targets("growl-mnist", model);
        var hook = new ProximalHook(reg, targets, stepsPerEpoch: 16);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), new TrainerOptions { Epochs = 3, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(hook);
        trainer.Fit(Train, null);
        var op = (Knot.Compression.Proximal.IGroupProximalOperator)hook.Targets[0].Operator;
        Assert.True(op.DeadCount > 0, "no group reached zero");
        var dead = op.DeadGroups.ToArray();
        var layout = new Knot.Compression.Proximal.GroupLayout(targets[0].Parameter.Shape);
        var norms = new float[layout.GroupCount];
        layout.Norms(targets[0].Parameter.Value.Data, norms);
        for (int j = 0; j < dead.Length; j++) if (dead[j]) Assert.Equal(0f, norms[j]);
        Assert.True(trainer.History[^1].Extra["sparsity"] > 0);
    }

    [Fact]
    public void WithAPerEpochProxDeadGroupsDoNotRegrowBetweenProxSteps()
    {
        var model = ModelZoo.Create(Spec("growl-mnist"), new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05, Every = RegularizerSpec.OncePerEpoch };
        var targets = reg.Targets("growl-mnist", model);
        var hook = new ProximalHook(reg, targets, stepsPerEpoch: 16);
        var watcher = new DeadGroupWatcher(hook);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), new TrainerOptions { Epochs = 4, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(hook);
        trainer.Hooks.Add(watcher);
        trainer.Fit(Train, null);
        Assert.True(watcher.StepsWithDeadGroups > 16, $"groups died too late to test anything ({watcher.StepsWithDeadGroups} steps)");
        Assert.Equal(0f, watcher.LargestDeadValue);
    }

    [Fact]
    public void ZeroGroupsAreDeadFromTheStartOnlyWhenARunResumes()
    {
        var model = ModelZoo.Create(Spec("growl-mnist"), new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "group-lasso", Lambda1 = 1 };
        var targets = reg.Targets("growl-mnist", model);
        var w = targets[0].Parameter;
        for (int o = 0; o < w.Shape[0]; o++) w.Value.Data[o * w.Shape[1] + 5] = 0f; // input 5 removed
        var hook = new ProximalHook(reg, targets, stepsPerEpoch: 16);
        var op = (Knot.Compression.Proximal.IGroupProximalOperator)hook.Targets[0].Operator;
        Assert.Equal(0, op.DeadCount); // a warm start (e.g. a λ sweep's next point): the input may come back
        hook.Resuming();
        Assert.Equal(1, op.DeadCount); // a resumed run: it stays removed, as in the run that removed it
        Assert.True(op.DeadGroups[5]);
    }

    [Fact]
    public void AStage1CheckpointIsContinuedAndGivesTheUninterruptedResultBitForBit()
    {
        var dir = Path.Combine(Path.GetTempPath(), "knot-growl-stage1-" + Guid.NewGuid().ToString("N"));
        try
        {
            GrowlRequest Request(string name, string? stage1 = null) => new()
            {
                Spec = Spec("growl-mnist"), Epochs = 3, RetrainEpochs = 1, BatchSize = 32, Seed = 4, OutDirectory = Path.Combine(dir, name),
                Regularizer = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05, Every = RegularizerSpec.OncePerEpoch },
                Tying = new TyingOptions { MaxClusters = 4 }, Optimizer = new OptimizerConfig("sgd", 0.05f), Stage1Checkpoint = stage1,
            };
            var full = GrowlPipeline.Run(Request("full"), Train, Test);
            Assert.True(full.Total.ZeroGroups > 0);

            // A finished stage 1: nothing is trained again, and the copy lands in the new directory.
            var reused = GrowlPipeline.Run(Request("reused", full.Stage1Path), Train, Test);
            Assert.True(File.Exists(reused.Stage1Path));
            Assert.Equal(File.ReadAllText(full.StructurePath), File.ReadAllText(reused.StructurePath));
            AssertSameWeights(full.RetrainedPath, reused.RetrainedPath);

            // An interrupted stage 1 (cancelled in its second epoch) goes on from its last checkpoint.
            using var cancel = new CancellationTokenSource();
            var stopper = new Progress((string stage, TrainingProgress p) => { if (stage == "train" && p.Epoch >= 1) cancel.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() => GrowlPipeline.Run(Request("cut"), Train, Test, stopper, cancel.Token));
            string cut = Path.Combine(dir, "cut", "stage1.ckpt");
            Assert.Equal(1, ModelCheckpoint.Load(cut).EpochsDone);
            var continued = GrowlPipeline.Run(Request("cut", cut), Train, Test);
            AssertSameWeights(full.RetrainedPath, continued.RetrainedPath);

            // Another regularizer's stage 1 is refused, not silently continued.
            var other = Request("other", full.Stage1Path) with { Regularizer = new RegularizerSpec { Kind = "growl", Lambda1 = 6, Lambda2 = 0.05, Every = RegularizerSpec.OncePerEpoch } };
            Assert.Contains("regularizer", Assert.Throws<ArgumentException>(() => GrowlPipeline.Run(other, Train, Test)).Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertSameWeights(string expectedPath, string actualPath)
    {
        var a = ModelCheckpoint.Load(expectedPath).Model.NamedParameters().ToList();
        var b = ModelCheckpoint.Load(actualPath).Model.NamedParameters().ToList();
        Assert.Equal(a.Select(x => x.Name), b.Select(x => x.Name));
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Parameter.Value.Data, b[i].Parameter.Value.Data);
    }

    /// <summary>A synchronous IProgress (System.Progress posts to the thread pool, too late to cancel in the same epoch).</summary>
    private sealed class Progress(Action<string, TrainingProgress> report) : IProgress<(string, TrainingProgress)>
    {
        public void Report((string, TrainingProgress) value) => report(value.Item1, value.Item2);
    }

    /// <summary>After every step, the largest |w| found in a group the prox has declared dead.</summary>
    private sealed class DeadGroupWatcher(ProximalHook hook) : ITrainingHook
    {
        public float LargestDeadValue { get; private set; }
        public int StepsWithDeadGroups { get; private set; }

        public void AfterStep(StepContext context)
        {
            var (_, p, op) = hook.Targets[0];
            var g = (Knot.Compression.Proximal.IGroupProximalOperator)op;
            if (g.DeadCount == 0) return;
            StepsWithDeadGroups++;
            var norms = new float[g.Layout.GroupCount];
            g.Layout.Norms(p.Value.Data, norms);
            for (int j = 0; j < norms.Length; j++) if (g.DeadGroups[j]) LargestDeadValue = Math.Max(LargestDeadValue, norms[j]);
        }
    }

    [Fact]
    public void RetrainingKeepsZerosAndTiesExactly()
    {
        var model = ModelZoo.Create(Spec("lenet-300-100"), new KnotRandom(2));
        var structure = RandomStructure(model, ["fc1.weight", "fc2.weight"], seed: 3);
        GrowlStructure.Attach(model, structure);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f, weightDecay: 1e-3f), new TrainerOptions { Epochs = 2, BatchSize = 32, Seed = 4 });
        trainer.Fit(Train, null);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var s in structure)
            Assert.True(s.ToTieMap().IsSatisfiedBy(parameters[s.Name].Value.Data), $"{s.Name} lost its structure");
    }

    [Theory]
    [InlineData("growl-mnist", new[] { "fc1.weight" })]
    [InlineData("lenet-300-100", new[] { "fc1.weight", "fc2.weight", "fc3.weight" })]
    [InlineData("lenet-5-caffe", new[] { "conv2.weight", "fc1.weight", "fc2.weight" })]
    public void FinalizedModelMatchesConstrainedModel(string name, string[] layers)
    {
        var spec = name == "lenet-5-caffe" ? new ModelSpec(name, 0.2f, 1, 28, 28, 10) : Spec(name, 0.2f);
        var model = ModelZoo.Create(spec, new KnotRandom(5));
        // Non-trivial BatchNorm statistics so that removing features is checked for real.
        if (name == "growl-mnist")
        {
            var rng0 = new KnotRandom(8);
            foreach (var (_, b) in model.NamedBuffers()) for (int i = 0; i < b.Length; i++) b.Data[i] = 0.5f + (float)rng0.NextDouble();
        }
        var structure = RandomStructure(model, layers, seed: 6);
        GrowlStructure.Attach(model, structure);
        model.Eval();
        var compact = GrowlFinalizer.Finalize(model, structure);

        var x = Tensor.Zeros(4, spec.InputChannels, spec.InputHeight, spec.InputWidth);
        var rng = new KnotRandom(7);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextNormal();
        using var _ = GradMode.NoGrad();
        var expected = model.Forward(x).Data;
        var actual = compact.Forward(x).Data;
        double scale = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale + 1e-6, $"logit {i}: {expected[i]} vs {actual[i]}");
        Assert.True(compact.ParameterCount() < model.ParameterCount());
    }

    [Fact]
    public void ArchitectureRoundTripsThroughJson()
    {
        var model = (Sequential)ModelZoo.Create("lenet-5-caffe", 1);
        var json = Architecture.Describe(model);
        var rebuilt = Architecture.Build(System.Text.Json.Nodes.JsonNode.Parse(json.ToJsonString())!.AsArray(), "test");
        Assert.Equal(model.NamedParameters().Select(p => (p.Name, p.Parameter.Shape)), rebuilt.NamedParameters().Select(p => (p.Name, p.Parameter.Shape)));
    }

    [Fact]
    public void TwoStagePipelineRunsEndToEnd()
    {
        var dir = Path.Combine(Path.GetTempPath(), "knot-growl-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = GrowlPipeline.Run(new GrowlRequest
            {
                Spec = Spec("growl-mnist"), Epochs = 3, RetrainEpochs = 1, BatchSize = 32, Seed = 1, OutDirectory = dir,
                Regularizer = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05 },
                Optimizer = new OptimizerConfig("sgd", 0.05f),
            }, Train, Test);
            Assert.True(File.Exists(result.Stage1Path) && File.Exists(result.StructurePath) && File.Exists(result.RetrainedPath));
            Assert.True(result.Total.ZeroGroups > 0);
            Assert.True(result.Stage2.Test!.Value.Accuracy > 0.5, $"accuracy {result.Stage2.Test.Value.Accuracy}");
            var reloaded = GrowlStructure.FromJson(File.ReadAllText(result.StructurePath), "structure.json");
            Assert.Equal(result.Structure[0].Labels, reloaded[0].Labels);
            var retrained = ModelCheckpoint.Load(result.RetrainedPath);
            var w = retrained.Model.NamedParameters().Single(p => p.Name == "fc1.weight").Parameter.Value.Data;
            Assert.True(reloaded[0].ToTieMap().IsSatisfiedBy(w));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StructureFileWithWrongGroupCountIsRejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => GrowlStructure.FromJson("""[{"Name":"fc1.weight","Shape":[3,4],"Labels":[0,1]}]""", "s.json"));
        Assert.Contains("2 labels for 4 input groups", ex.Message);
    }

    /// <summary>About a third of the groups dead, the rest in clusters of 1–3, weights made to satisfy it.</summary>
    [Fact]
    public void AConvolutionFilterWhoseFlattenedPositionsAreAllDeadIsRemovedThroughTheFlatten()
    {
        var spec = new ModelSpec("lenet-5-caffe", 0.2f, 1, 28, 28, 10); // conv2: 10 filters of 4×4 positions after pooling → fc1 reads 160
        var model = ModelZoo.Create(spec, new KnotRandom(5));
        var fc1 = model.NamedParameters().Single(p => p.Name == "fc1.weight").Parameter;
        Assert.Equal(160, fc1.Shape[1]);
        var rng = new KnotRandom(9);
        var labels = new int[160];
        int cluster = -1, left = 0;
        for (int j = 0; j < labels.Length; j++)
        {
            int channel = j / 16;
            // Filters 1 and 6: every position dead. Filter 3: all but one dead (it must stay). Elsewhere dead and tied at random.
            bool dead = channel is 1 or 6 || channel == 3 && j % 16 != 5 || rng.NextDouble() < 0.3;
            if (dead) { labels[j] = TieMap.Dead; continue; }
            if (left == 0) { cluster++; left = 1 + rng.NextInt(3); }
            labels[j] = cluster;
            left--;
        }
        var structure = new List<LayerStructure> { new("fc1.weight", fc1.Shape.ToArray(), labels) };
        structure.AddRange(RandomStructure(model, ["conv2.weight"], seed: 10));
        GrowlStructure.Attach(model, structure);
        model.Eval();

        Assert.Equal(new[] { 1, 6 }, GrowlFinalizer.RemovedOutputs(model, structure)["conv2"]);
        var compact = GrowlFinalizer.Finalize(model, structure);
        var conv2 = compact.NamedModules().Select(m => m.Module).OfType<Conv2d>().Last();
        Assert.Equal(8, conv2.OutChannels);

        var x = Tensor.Zeros(4, 1, 28, 28);
        var rngX = new KnotRandom(7);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rngX.NextNormal();
        using var _ = GradMode.NoGrad();
        var expected = model.Forward(x).Data;
        var actual = compact.Forward(x).Data;
        double scale = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale + 1e-6, $"logit {i}: {expected[i]} vs {actual[i]}");
    }

    private static List<LayerStructure> RandomStructure(Module model, string[] names, ulong seed)
    {
        var rng = new KnotRandom(seed);
        var result = new List<LayerStructure>();
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var name in names)
        {
            var shape = parameters[name].Shape.ToArray();
            var labels = new int[shape[1]];
            int cluster = -1, left = 0;
            for (int j = 0; j < labels.Length; j++)
            {
                if (rng.NextDouble() < 0.33) { labels[j] = TieMap.Dead; continue; }
                if (left == 0) { cluster++; left = 1 + rng.NextInt(3); }
                labels[j] = cluster;
                left--;
            }
            if (cluster < 0) labels[0] = cluster = 0;
            result.Add(new LayerStructure(name, shape, labels));
        }
        return result;
    }
}
