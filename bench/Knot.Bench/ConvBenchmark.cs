using System.Diagnostics;
using System.Globalization;
using Knot.Autograd.Ops;
using Knot.Kernels;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// LeNet-5-Caffe (conv 1→20 5×5, maxpool 2, conv 20→50 5×5, maxpool 2, FC 800→500, ReLU, FC 500→10) forward +
/// backward on a batch of 128 synthetic 28×28 images, timed with a Stopwatch after warm-up, for a few im2col
/// chunk sizes, plus a per-op breakdown. PyTorch on CPU does about 2.4k samples/s on this network.
/// </summary>
public static class ConvBenchmark
{
    public static void Run(TextWriter output, int iterations = 10)
    {
        ArgumentNullException.ThrowIfNull(output);
        const int Batch = 128;
        var rng = new KnotRandom(1);
        var conv1 = new Conv2d(1, 20, 5, rng);
        var conv2 = new Conv2d(20, 50, 5, rng);
        var fc1 = new Linear(800, 500, rng);
        var fc2 = new Linear(500, 10, rng);
        var model = new Sequential(conv1, new MaxPool2d(2), conv2, new MaxPool2d(2), new Flatten(), fc1, new ReLU(), fc2);
        var x = Tensor.Zeros(Batch, 1, 28, 28);
        for (int i = 0; i < x.Length; i++) x.Data[i] = rng.NextSingle();
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++) labels[i] = rng.NextInt(10);
        var arena = new TensorArena();

        void Step()
        {
            arena.Reset();
            using var _ = arena.Activate();
            model.ZeroGrad();
            Op.CrossEntropy(model.Forward(x), labels).Backward();
        }

        output.WriteLine(FormattableString.Invariant($"LeNet-5-Caffe fwd+bwd, batch {Batch}, {Parallelism.ThreadCount} threads, {iterations} timed steps (median and best)"));
        int saved = Convolution.TargetChunkColumns;
        try
        {
            foreach (int columns in new[] { 1, 1024, 4096, 8192, 16384 })
            {
                Convolution.TargetChunkColumns = columns;
                var (median, best) = Time(Step, iterations);
                output.WriteLine(FormattableString.Invariant(
                    $"  chunk columns {columns,6}: median {median,8:F2} ms/step ({Batch / median * 1000,6:F0} samples/s), best {best,8:F2} ms ({Batch / best * 1000,6:F0} samples/s)  [conv1 {ImagesPerChunk(576, Batch)} img, conv2 {ImagesPerChunk(64, Batch)} img per GEMM]"));
            }
        }
        finally
        {
            Convolution.TargetChunkColumns = saved;
        }

        // Per-op breakdown at the default chunking.
        var g1 = new ConvolutionGeometry(Batch, 1, 28, 28, 5, 5, 1, 1, 0, 0);
        var g2 = new ConvolutionGeometry(Batch, 20, 12, 12, 5, 5, 1, 1, 0, 0);
        var y1 = new float[Batch * 20 * 576];
        var x2 = new float[Batch * 20 * 144];
        for (int i = 0; i < x2.Length; i++) x2[i] = rng.NextSingle();
        var y2 = new float[Batch * 50 * 64];
        var dx2 = new float[x2.Length];
        var dw1 = new float[conv1.Weight.Value.Length];
        var dw2 = new float[conv2.Weight.Value.Length];
        var db1 = new float[20];
        var db2 = new float[50];
        var p1 = new float[Batch * 20 * 144];
        var idx = new int[p1.Length];
        var gp = new ConvolutionGeometry(Batch, 20, 24, 24, 2, 2, 2, 2, 0, 0);
        var w1 = conv1.Weight.Value.Data;
        var w2 = conv2.Weight.Value.Data;
        Report(output, "conv1 forward", () => Convolution.Forward(g1, 20, x.Data, w1, conv1.Bias!.Value.Data, y1), iterations);
        Report(output, "conv1 backward (dW, db)", () => Convolution.Backward(g1, 20, x.Data, w1, y1, default, dw1, db1), iterations);
        Report(output, "conv2 forward", () => Convolution.Forward(g2, 50, x2, w2, conv2.Bias!.Value.Data, y2), iterations);
        Report(output, "conv2 backward (dX, dW, db)", () => Convolution.Backward(g2, 50, x2, w2, y2, dx2, dw2, db2), iterations);
        Report(output, "maxpool1 forward", () => Pooling.MaxForward(gp, y1, p1, idx), iterations);
        Report(output, "maxpool1 backward", () => Pooling.MaxBackward(gp, p1, idx, y1), iterations);
    }

    private static int ImagesPerChunk(int plane, int batch) => Math.Clamp(Convolution.TargetChunkColumns / plane, 1, batch);

    private static void Report(TextWriter output, string what, Action action, int iterations)
    {
        var (median, best) = Time(action, iterations);
        output.WriteLine(FormattableString.Invariant($"  {what,-28} median {median,8:F2} ms, best {best,8:F2} ms"));
    }

    /// <summary>Median and fastest of <paramref name="iterations"/> timed runs. On a shared machine the fastest is
    /// the better estimate of the code's own cost; the median shows what a run actually got.</summary>
    private static (double Median, double Best) Time(Action action, int iterations)
    {
        action();
        action(); // warm-up: JIT tiers, scratch buffers, arena pool
        var times = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[iterations / 2], times[0]);
    }
}
