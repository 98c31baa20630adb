using Knot.Data;
using Knot.Models;
using Knot.Optim;
using Knot.Training;

namespace Knot.Tests.Training;

[Collection(SerialCollection.Name)]
public sealed class TrainerTests
{
    private static (Knot.Nn.Module Model, Trainer Trainer) Build(ulong seed, int epochs, float lr = 0.05f, float width = 0.25f)
    {
        var model = ModelZoo.Create("lenet-300-100", seed, width);
        var optimizer = new Sgd(model.Parameters(), lr, momentum: 0.9f);
        return (model, new Trainer(model, optimizer, new TrainerOptions { Epochs = epochs, BatchSize = 32, Seed = seed }));
    }

    [Fact]
    public void LearnsSyntheticData()
    {
        var train = SyntheticData.Create(640, seed: 1);
        var test = SyntheticData.Create(200, seed: 2);
        var (model, trainer) = Build(3, 3);
        var history = trainer.Fit(train, test);
        Assert.Equal(3, history.Count);
        Assert.True(history[^1].TestAccuracy > 0.9, $"test accuracy {history[^1].TestAccuracy}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss);
    }

    [Fact]
    public void SeededRunsAreBitIdentical()
    {
        var train = SyntheticData.Create(50 * 32, seed: 5);
        float[][] Run()
        {
            var (model, trainer) = Build(11, 1);
            trainer.Fit(train, null);
            return model.Parameters().Select(p => (float[])p.Value.Data.Clone()).ToArray();
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void SteadyStateStepAllocatesLittle()
    {
        // LeNet-300-100 at full width, batch 128 (the budget: < 64 KB per step over all threads).
        var train = SyntheticData.Create(128 * 4, seed: 7);
        var model = ModelZoo.Create("lenet-300-100", 1);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.01f, momentum: 0.9f), new TrainerOptions { BatchSize = 128 });
        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = 128, Seed = 1 });
        for (int warm = 0; warm < 3; warm++) foreach (var b in loader.Epoch(warm)) trainer.Step(b);
        const int Steps = 20;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        int done = 0;
        for (int e = 3; done < Steps; e++)
            foreach (var b in loader.Epoch(e)) { trainer.Step(b); if (++done == Steps) break; }
        long perStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / Steps;
        Assert.True(perStep < 64 * 1024, $"{perStep} bytes allocated per step");
    }

    [Fact]
    public void DivergenceIsReportedWithEpochAndStep()
    {
        var train = SyntheticData.Create(256, seed: 9);
        var (model, trainer) = Build(1, 2, lr: 1e30f);
        var ex = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train, null));
        Assert.Contains("epoch 1", ex.Message);
    }
}
