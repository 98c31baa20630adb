using Knot.Compression.Growl;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Training;

public sealed class BatchNormCalibrationTests
{
    [Fact]
    public void RunningStatisticsBecomeTheAverageOfTheCalibrationBatches()
    {
        var data = SyntheticData.Create(400, height: 4, width: 4, seed: 3);
        var rng = new KnotRandom(5);
        var fc = new Linear(16, 6, rng);
        var bn = new BatchNorm1d(6);
        var dropout = new Dropout(0.5f, rng);
        var model = new Sequential().Add(new Flatten(), "flatten").Add(fc, "fc").Add(bn, "bn").Add(dropout, "drop");
        var rngBefore = dropout.Generator.SaveState();

        Assert.True(BatchNormCalibration.Recalibrate(model, data, samples: 300, batchSize: 100));

        // By hand: per batch of 100 (in order), the mean and unbiased variance of fc's outputs; then their plain average.
        var w = fc.Weight.Value.Data; var b = fc.Bias!.Value.Data;
        var expectedMean = new double[6]; var expectedVar = new double[6];
        for (int batch = 0; batch < 3; batch++)
        {
            for (int o = 0; o < 6; o++)
            {
                var h = new double[100];
                for (int n = 0; n < 100; n++)
                {
                    int sample = batch * 100 + n;
                    double sum = b[o];
                    for (int i = 0; i < 16; i++) sum += w[o * 16 + i] * data.Images[sample * 16 + i];
                    h[n] = sum;
                }
                double mean = h.Average(), variance = h.Sum(v => (v - mean) * (v - mean)) / 99;
                expectedMean[o] += mean / 3;
                expectedVar[o] += variance / 3;
            }
        }
        for (int o = 0; o < 6; o++)
        {
            Assert.Equal(expectedMean[o], bn.RunningMean.Data[o], 1e-4);
            Assert.Equal(1, bn.RunningVar.Data[o] / expectedVar[o], 1e-4);
        }
        Assert.True(model.IsTraining, "the model's mode was not restored");
        Assert.Equal(rngBefore, dropout.Generator.SaveState()); // dropout ran in eval mode: it drew nothing
    }

    [Fact]
    public void AModelWithoutBatchNormIsLeftAlone()
    {
        var model = new Sequential().Add(new Flatten(), "flatten").Add(new Linear(16, 3, new KnotRandom(1)), "fc");
        Assert.False(BatchNormCalibration.Recalibrate(model, SyntheticData.Create(10, height: 4, width: 4)));
    }

    [Fact]
    public void APerEpochProxLeavesEvaluationWithStatisticsOfTheFinalWeights()
    {
        // growl-mnist puts a BatchNorm behind fc1: after the epoch-end prox its running statistics must describe the
        // shrunk weights (recalibrating again changes nothing), not the weights of the epoch's last forward pass.
        var train = SyntheticData.Small(512, seed: 1);
        var model = ModelZoo.Create(SyntheticData.SmallSpec("growl-mnist"), new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05, Every = RegularizerSpec.OncePerEpoch };
        var hook = new ProximalHook(reg, reg.Targets("growl-mnist", model), stepsPerEpoch: 16);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), new TrainerOptions { Epochs = 2, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(hook);
        trainer.Fit(train, null);
        Assert.True(hook.StaleBatchNormStatistics);

        var bn = model.NamedModules().Select(m => m.Module).OfType<BatchNorm>().Single();
        var after = bn.RunningMean.Data.ToArray();
        BatchNormCalibration.Recalibrate(model, train);
        Assert.Equal(after, bn.RunningMean.Data.ToArray());
    }

    [Fact]
    public void APerStepProxRecalibratesOnlyWhenItRanOnTheLastStep()
    {
        var model = ModelZoo.Create(SyntheticData.SmallSpec("growl-mnist"), new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "growl", Lambda1 = 5, Lambda2 = 0.05, Every = 5 };
        var hook = new ProximalHook(reg, reg.Targets("growl-mnist", model), stepsPerEpoch: 16);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f), new TrainerOptions { Epochs = 1, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(hook);
        trainer.Fit(SyntheticData.Small(512, seed: 1, noise: 0.5f), null);
        Assert.False(hook.StaleBatchNormStatistics); // 16 steps, prox after steps 5, 10, 15: not after the last one
    }
}
