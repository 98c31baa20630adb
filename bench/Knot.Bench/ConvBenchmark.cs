using System.Diagnostics;
using System.Globalization;
using Knot.Autograd.Ops;
using Knot.Kernels;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// LeNet-5-Caffe (conv 1→20 5×5, maxpool 2, conv 20→50 5×5, maxpool 2, FC 800→500, ReLU, FC 500→10) forward +
/// backward + cross-entropy on a batch of 128 synthetic 28×28 images (PyTorch on CPU: about 2.4k samples/s).
/// Reports wall time at the configured thread count (median and best of the timed steps) and, because a shared
/// machine makes wall time noisy, the process CPU time of single-threaded steps, which waiting for a core does not
/// inflate; then the same CPU time per op and per im2col chunk size.
/// </summary>
public static class ConvBenchmark
{
    private const int Batch = 128;

    public static void Run(TextWriter output, int iterations = 10)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Need at least one timed step.");
        var rng = new KnotRandom(1);
        var conv1 = new Conv2d(1, 20, 5, rng);
        var conv2 = new Conv2d(20, 50, 5, rng);
        var model = new Sequential(conv1, new MaxPool2d(2), conv2, new MaxPool2d(2), new Flatten(),
            new Linear(800, 500, rng), new ReLU(), new Linear(500, 10, rng));
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

        int threads = Parallelism.ThreadCount;
        var (median, best) = WallTime(Step, iterations);
        output.WriteLine(FormattableString.Invariant(
            $"LeNet-5-Caffe fwd+bwd, batch {Batch}, {threads} threads, wall: median {median:F2} ms ({Batch / median * 1000:F0} samples/s), best {best:F2} ms ({Batch / best * 1000:F0} samples/s)"));

        int savedChunk = Convolution.TargetChunkColumns;
        Parallelism.ThreadCount = 1;
        try
        {
            foreach (int columns in new[] { 1, 256, 1024, 4096 })
            {
                Convolution.TargetChunkColumns = columns;
                double cpu = CpuTime(Step, iterations);
                output.WriteLine(FormattableString.Invariant(
                    $"  1 thread, chunk target {columns,5} columns (conv1 {Convolution.ChunkImages(new ConvolutionGeometry(Batch, 1, 28, 28, 5, 5, 1, 1, 0, 0))} img, conv2 {Convolution.ChunkImages(new ConvolutionGeometry(Batch, 20, 12, 12, 5, 5, 1, 1, 0, 0))} img per GEMM): CPU {cpu:F2} ms/step ({Batch / cpu * 1000:F0} samples/s per core)"));
            }
            Convolution.TargetChunkColumns = savedChunk;
            Breakdown(output, conv1, conv2, x, rng, iterations);
        }
        finally
        {
            Convolution.TargetChunkColumns = savedChunk;
            Parallelism.ThreadCount = threads;
        }
    }

    private static void Breakdown(TextWriter output, Conv2d conv1, Conv2d conv2, Tensor x, KnotRandom rng, int iterations)
    {
        var g1 = new ConvolutionGeometry(Batch, 1, 28, 28, 5, 5, 1, 1, 0, 0);
        var g2 = new ConvolutionGeometry(Batch, 20, 12, 12, 5, 5, 1, 1, 0, 0);
        var gp = new ConvolutionGeometry(Batch, 20, 24, 24, 2, 2, 2, 2, 0, 0);
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
        var w1 = conv1.Weight.Value.Data;
        var w2 = conv2.Weight.Value.Data;
        output.WriteLine("  per op, 1 thread, CPU time (best):");
        Report(output, "conv1 forward", () => Convolution.Forward(g1, 20, x.Data, w1, conv1.Bias!.Value.Data, y1), iterations);
        Report(output, "conv1 backward (dW, db)", () => Convolution.Backward(g1, 20, x.Data, w1, y1, default, dw1, db1), iterations);
        Report(output, "conv2 forward", () => Convolution.Forward(g2, 50, x2, w2, conv2.Bias!.Value.Data, y2), iterations);
        Report(output, "conv2 backward (dW, db)", () => Convolution.Backward(g2, 50, x2, w2, y2, default, dw2, db2), iterations);
        Report(output, "conv2 backward (dX)", () => Convolution.Backward(g2, 50, x2, w2, y2, dx2, default, default), iterations);
        Report(output, "maxpool1 forward", () => Pooling.MaxForward(gp, y1, p1, idx), iterations);
        Report(output, "maxpool1 backward", () => Pooling.MaxBackward(gp, p1, idx, y1), iterations);
    }

    private static void Report(TextWriter output, string what, Action action, int iterations) =>
        output.WriteLine(FormattableString.Invariant($"    {what,-26} {CpuTime(action, iterations),8:F2} ms"));

    /// <summary>Median and best wall time of <paramref name="iterations"/> runs after two warm-up runs.</summary>
    private static (double Median, double Best) WallTime(Action action, int iterations)
    {
        action();
        action();
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

    /// <summary>Best process CPU time of <paramref name="iterations"/> runs: the code's own cost, not the queueing.</summary>
    private static double CpuTime(Action action, int iterations)
    {
        using var process = Process.GetCurrentProcess();
        action();
        action();
        double best = double.MaxValue;
        for (int i = 0; i < iterations; i++)
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            action();
            process.Refresh();
            best = Math.Min(best, (process.TotalProcessorTime - start).TotalMilliseconds);
        }
        return best;
    }
}
