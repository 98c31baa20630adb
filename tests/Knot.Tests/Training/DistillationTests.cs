using Knot.Autograd.Ops;
using Knot.Models;
using Knot.Optim;
using Knot.Tensors;
using Knot.Tests.Autograd;
using Knot.Training;

namespace Knot.Tests.Training;

[Collection(SerialCollection.Name)]
public sealed class DistillationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "knot-distil-" + Guid.NewGuid().ToString("N"));

    public DistillationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1f)]
    [InlineData(4f)]
    public void GradientMatchesFiniteDifferences(float temperature)
    {
        var rng = new KnotRandom(11);
        var teacher = GradCheck.Random(rng, 5, 7);
        teacher.RequiresGrad = false;
        GradCheck.AssertGradients(x => Op.Distillation(x[0], teacher, temperature), GradCheck.Random(rng, 5, 7));
    }

    [Fact]
    public void ValueIsTSquaredTimesTheMeanKlDivergenceAndZeroForEqualLogits()
    {
        var rng = new KnotRandom(12);
        var s = GradCheck.Random(rng, 3, 4);
        var t = GradCheck.Random(rng, 3, 4);
        const float T = 2.5f;
        double expected = 0;
        for (int r = 0; r < 3; r++)
        {
            var p = SoftmaxReference(t.Data.AsSpan(r * 4, 4).ToArray(), T);
            var q = SoftmaxReference(s.Data.AsSpan(r * 4, 4).ToArray(), T);
            for (int c = 0; c < 4; c++) expected += p[c] * Math.Log(p[c] / q[c]);
        }
        expected *= T * T / 3;
        Assert.Equal(expected, Op.Distillation(s, t, T).Item(), 1e-5);
        Assert.Equal(0, Op.Distillation(s, s, T).Item(), 1e-6);
        Assert.Throws<ArgumentException>(() => Op.Distillation(s, GradCheck.Random(rng, 3, 5), T));
        Assert.Throws<ArgumentOutOfRangeException>(() => Op.Distillation(s, t, 0));
    }

    private static double[] SoftmaxReference(float[] logits, double temperature)
    {
        var e = logits.Select(v => Math.Exp(v / temperature)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [Fact]
    public void AZeroWeightLeavesTrainingBitIdentical()
    {
        var train = SyntheticData.Create(256, seed: 1);
        var teacher = ModelZoo.Create("lenet-300-100", 9, 0.25f);
        var plain = Train(train, null, epochs: 2);
        var zero = Train(train, new Distillation(teacher, Weight: 0f), epochs: 2);
        Assert.Equal(Weights(plain), Weights(zero));
    }

    /// <summary>With the whole weight on the teacher, a student trained on random labels still learns the teacher's answers.</summary>
    [Fact]
    public void TheStudentLearnsTheTeachersAnswersNotTheLabels()
    {
        var data = SyntheticData.Create(640, seed: 3);
        var teacher = Train(data, null, epochs: 3, seed: 5);
        var rng = new KnotRandom(77);
        var noise = new Knot.Data.LabeledDataset("random labels", data.Images, data.Labels.Select(_ => (int)(rng.NextDouble() * 10)).ToArray(), data.ImageShape, 10);
        // lr 0.02: the trained teacher's logits are large (±30), and at 0.05 matching them diverges like any too-large step
        var student = Train(noise, new Distillation(teacher, Weight: 1f, Temperature: 2f), epochs: 3, seed: 6, lr: 0.02f);
        var test = SyntheticData.Create(200, seed: 4);
        Assert.True(Evaluator.Evaluate(teacher, test).Accuracy > 0.9);
        Assert.True(Evaluator.Evaluate(student, test).Accuracy > 0.9, $"the student did not follow the teacher: {Evaluator.Evaluate(student, test).Accuracy}, teacher {Evaluator.Evaluate(teacher, test).Accuracy}");
        Assert.True(Evaluator.Evaluate(Train(noise, null, epochs: 3, seed: 6, lr: 0.02f), test).Accuracy < 0.5, "random labels alone should not teach the task");
    }

    [Fact]
    public void ATeacherThatDoesNotFitTheStudentIsRejectedByName()
    {
        string path = Path.Combine(_dir, "cifar-teacher.ckpt");
        var spec = new ModelSpec("lenet-300-100", 0.25f, InputChannels: 3, InputHeight: 32, InputWidth: 32);
        ModelCheckpoint.Save(path, spec, ModelZoo.Create(spec, new KnotRandom(1)), 0, 1);
        var e = Assert.Throws<InvalidDataException>(() => Distillation.FromCheckpoint(path, ModelZoo.DefaultSpec("lenet-300-100", 0.25f)));
        Assert.Contains("cifar-teacher.ckpt", e.Message, StringComparison.Ordinal);
        Assert.Contains("3×32×32", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Distillation(ModelZoo.Create("lenet-300-100", 1, 0.25f), Weight: 1.5f).Validate());
    }

    private static Knot.Nn.Module Train(Knot.Data.LabeledDataset data, Distillation? distillation, int epochs, ulong seed = 3, float lr = 0.05f)
    {
        var model = ModelZoo.Create("lenet-300-100", seed, 0.25f);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr, momentum: 0.9f),
            new TrainerOptions { Epochs = epochs, BatchSize = 32, Seed = seed, Distillation = distillation });
        trainer.Fit(data, null);
        return model;
    }

    private static float[] Weights(Knot.Nn.Module model) => model.Parameters().SelectMany(p => p.Value.Data).ToArray();
}
