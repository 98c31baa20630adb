using Knot.Data;
using Knot.Kernels;
using Knot.Models;
using Knot.Optim;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Kernels;

/// <summary>
/// The convolution and pooling kernels (direct conv1, im2col + GEMM conv2, vector max pooling with its one-pass
/// backward, plane- and batch-parallel loops) keep a LeNet-5-Caffe training step inside the same budget as the
/// issue's LeNet-300-100 one: scratch is per thread and grows once, gradients come from the step arena.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ConvNetStepAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LeNet5StepAllocatesLittle(int threads)
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = threads;
            var train = SyntheticData.Create(128 * 3, seed: 8);
            var model = ModelZoo.Create("lenet-5-caffe", 1);
            var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.01f, momentum: 0.9f), new TrainerOptions { BatchSize = 128 });
            var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = 128, Seed = 1 });
            for (int warm = 0; warm < 2; warm++) foreach (var b in loader.Epoch(warm)) trainer.Step(b);
            const int Steps = 6;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            int done = 0;
            for (int e = 2; done < Steps; e++)
                foreach (var b in loader.Epoch(e)) { trainer.Step(b); if (++done == Steps) break; }
            long perStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / Steps;
            Assert.True(perStep < 64 * 1024, $"{perStep} bytes allocated per LeNet-5 step at {threads} thread(s)");
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}
