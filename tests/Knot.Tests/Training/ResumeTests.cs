using Knot.Models;
using Knot.Optim;
using Knot.Training;

namespace Knot.Tests.Training;

public sealed class ResumeTests
{
    [Theory]
    [InlineData("sgd", "cosine", null)]
    [InlineData("adam", "step:1:0.5", null)]
    [InlineData("sgd", "cosine", "epoch")] // a proximal run: the groups killed before the interruption must stay dead after it
    [InlineData("sgd", "cosine", "3")]
    public void InterruptedRunResumesBitIdentically(string optimizer, string schedule, string? proxEvery)
    {
        var dir = Path.Combine(Path.GetTempPath(), "knot-resume-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var train = SyntheticData.Create(320, seed: 3);
            // growl-mnist has BatchNorm (running statistics are buffers) — they must resume too.
            var request = new TrainRequest
            {
                Spec = new ModelSpec("growl-mnist", 0.1f), Optimizer = new OptimizerConfig(optimizer, optimizer == "sgd" ? 0.05f : 0.002f, Schedule: schedule),
                Epochs = 2, BatchSize = 32, Seed = 5,
            };
            if (proxEvery is not null)
            {
                var regularizer = new Knot.Compression.Growl.RegularizerSpec
                {
                    Kind = "group-lasso", Lambda1 = 5, Every = proxEvery == "epoch" ? Knot.Compression.Growl.RegularizerSpec.OncePerEpoch : int.Parse(proxEvery),
                };
                request = Knot.Compression.Growl.RegularizedTraining.WithRegularizer(request, regularizer, train.Count);
            }
            var full = TrainingRun.Run(request with { OutPath = Path.Combine(dir, "full.ckpt") }, train, null);

            // The same run, interrupted as soon as the second epoch starts (after epoch 1's checkpoint was written).
            string partial = Path.Combine(dir, "partial.ckpt");
            using var cancel = new CancellationTokenSource();
            var stopper = new Stopper(cancel);
            Assert.ThrowsAny<OperationCanceledException>(() => TrainingRun.Run(request with { OutPath = partial }, train, null, stopper, cancel.Token));
            var interrupted = ModelCheckpoint.Load(partial);
            Assert.Equal(1, interrupted.EpochsDone);
            if (proxEvery is not null) // the case under test: some, not all, fc1 inputs died in epoch 1
                Assert.InRange(interrupted.History[0].Extra["fc1.weight.zero_groups"], 1, 783);

            var resumed = TrainingRun.Run(request with { OutPath = partial, ResumePath = partial }, train, null);
            var a = full.Model.NamedParameters().Concat(full.Model.NamedBuffers().Select(b => (b.Name, new Knot.Nn.Parameter(b.Buffer)))).ToList();
            var b = resumed.Model.NamedParameters().Concat(resumed.Model.NamedBuffers().Select(x => (x.Name, new Knot.Nn.Parameter(x.Buffer)))).ToList();
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Item2.Value.Data, b[i].Item2.Value.Data);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class Stopper(CancellationTokenSource cancel) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Epoch >= 1) cancel.Cancel();
        }
    }
}
