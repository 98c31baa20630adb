using Knot.Autograd.Ops;
using Knot.Compression.Growl;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests;

/// <summary>The README's C# tour, on synthetic data instead of MNIST: if this stops compiling, fix the README too.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void ReadmeTourRuns()
    {
        var train = Knot.Tests.Training.SyntheticData.Create(256, seed: 1);
        var test = Knot.Tests.Training.SyntheticData.Create(64, seed: 2);

        var rng = new KnotRandom(seed: 1);
        var net = new Sequential()
            .Add(new Flatten(), "flatten")
            .Add(new Linear(784, 300, rng), "fc1").Add(new ReLU(), "relu")
            .Add(new Linear(300, 10, rng), "fc2");

        var optimizer = new Sgd(net.Parameters(), learningRate: 0.05f, momentum: 0.9f);
        var trainer = new Trainer(net, optimizer, new TrainerOptions { Epochs = 4, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(new ProximalHook(new RegularizerSpec { Kind = "growl", Lambda1 = 0.1, Lambda2 = 0.002 },
            new[] { ("fc1.weight", net.NamedParameters()[0].Parameter) }, stepsPerEpoch: 8));
        var history = trainer.Fit(train, test);
        Assert.True(history[^1].TestAccuracy > 0.5);

        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 3); x.RequiresGrad = true;
        var y = Op.Sum(Op.Square(x)); y.Backward();
        Assert.Equal(new float[] { 2, 4, 6 }, x.Grad!.Data);
    }
}
