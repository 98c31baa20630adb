using Knot.Models;
using Knot.Optim;
using Knot.Training;

namespace Knot.Tests.Training;

public sealed class ResumeTests
{
    [Theory]
    [InlineData("sgd", "cosine")]
    [InlineData("adam", "step:1:0.5")]
    public void InterruptedRunResumesBitIdentically(string optimizer, string schedule)
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
            var full = TrainingRun.Run(request with { OutPath = Path.Combine(dir, "full.ckpt") }, train, null);

            // The same run, interrupted as soon as the second epoch starts (after epoch 1's checkpoint was written).
            string partial = Path.Combine(dir, "partial.ckpt");
            using var cancel = new CancellationTokenSource();
            var stopper = new Stopper(cancel);
            Assert.ThrowsAny<OperationCanceledException>(() => TrainingRun.Run(request with { OutPath = partial }, train, null, stopper, cancel.Token));
            Assert.Equal(1, ModelCheckpoint.Load(partial).EpochsDone);

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
