using System.Diagnostics;
using System.Globalization;
using Knot.Kernels;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// <c>kernels [--threads 1,2] [--steps N] [--clock wall|cpu]</c>: Knot-only microbenchmark of the kernels a LeNet-5-Caffe
/// training step (batch 128) runs outside the big GEMMs' control: max pooling forward (with arg-max) and backward for
/// both pooling layers, and the two convolutions' forward and backward through <see cref="Convolution"/>. Each line is
/// the median and best of N calls (after 3 warm-up calls) in ms; the numbers to compare before/after a kernel change.
/// <c>--clock cpu</c> uses the calling thread's CPU time (meaningful for 1 thread only).
/// </summary>
internal static class KernelBench
{
    private const int Batch = 128;

    public static int Run(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 1);
        int runs = options.Steps ?? 30, saved = Parallelism.ThreadCount;
        try
        {
            foreach (int threads in options.Threads)
            {
                Parallelism.ThreadCount = threads;
                Console.WriteLine(FormattableString.Invariant(
                    $"# LeNet-5-Caffe kernels, batch {Batch}, {threads} thread(s), {(options.CpuClock ? "thread CPU" : "wall")} clock, {runs} runs; loadavg {TrainBench.LoadAverage()}"));
                Console.WriteLine("kernel                               median ms    best ms");
                Pool("pool1", new ConvolutionGeometry(Batch, 20, 24, 24, 2, 2, 2, 2, 0, 0), runs, options.CpuClock);
                Pool("pool2", new ConvolutionGeometry(Batch, 50, 8, 8, 2, 2, 2, 2, 0, 0), runs, options.CpuClock);
                Conv("conv1", new ConvolutionGeometry(Batch, 1, 28, 28, 5, 5, 1, 1, 0, 0), 20, needInputGrad: false, runs, options.CpuClock);
                Conv("conv2", new ConvolutionGeometry(Batch, 20, 12, 12, 5, 5, 1, 1, 0, 0), 50, needInputGrad: true, runs, options.CpuClock);
                Console.WriteLine();
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
        return 0;
    }

    private static void Pool(string name, ConvolutionGeometry g, int runs, bool cpuClock)
    {
        var rng = new KnotRandom(3);
        var x = Random(rng, g.Batch * g.Channels * g.InputPlane);
        var y = new float[g.Batch * g.Channels * g.OutputPlane];
        var idx = new int[y.Length];
        var dy = Random(rng, y.Length);
        var dx = new float[x.Length];
        Report($"{name} max forward + argmax", () => Pooling.MaxForward(g, x, y, idx), runs, cpuClock);
        Report($"{name} max forward (no argmax)", () => Pooling.MaxForward(g, x, y, default), runs, cpuClock);
        Report($"{name} max backward (+=)", () => Pooling.MaxBackward(g, dy, idx, dx), runs, cpuClock);
        // What MaxPool2d's backward does with a fresh gradient buffer: before, clear it and scatter; now one overwrite pass.
        Report($"{name} max bwd: clear + scatter", () =>
        {
            dx.AsSpan().Clear();
            Pooling.MaxBackward(g, dy, idx, dx);
        }, runs, cpuClock);
        Report($"{name} max bwd: overwrite", () => Pooling.MaxBackwardOverwrite(g, dy, idx, dx), runs, cpuClock);
    }

    private static void Conv(string name, ConvolutionGeometry g, int cout, bool needInputGrad, int runs, bool cpuClock)
    {
        var rng = new KnotRandom(5);
        var x = Random(rng, g.Batch * g.Channels * g.InputPlane);
        var w = Random(rng, cout * g.PatchSize);
        var b = Random(rng, cout);
        var y = new float[g.Batch * cout * g.OutputPlane];
        var dy = Random(rng, y.Length);
        var dx = needInputGrad ? new float[x.Length] : null;
        var dw = new float[w.Length];
        var db = new float[cout];
        int chunk = Convolution.ChunkImages(g), plane = g.OutputPlane, inSize = g.Channels * g.InputPlane;
        var columns = new float[g.PatchSize * chunk * plane];
        var image = new float[inSize];
        Report($"{name} im2col, {g.Batch} images", () =>
        {
            for (int n = 0; n < g.Batch; n++) Im2Col.Pack(g, x.AsSpan(n * inSize, inSize), columns, chunk * plane, n % chunk * plane);
        }, runs, cpuClock);
        Report($"{name} col2im, {g.Batch} images", () =>
        {
            for (int n = 0; n < g.Batch; n++) Im2Col.Accumulate(g, columns, chunk * plane, n % chunk * plane, image);
        }, runs, cpuClock);
        Report($"{name} forward", () => Convolution.Forward(g, cout, x, w, b, y), runs, cpuClock);
        Report($"{name} backward{(needInputGrad ? "" : " (dW, db)")}", () => Convolution.Backward(g, cout, x, w, dy, dx, dw, db), runs, cpuClock);
    }

    private static void Report(string what, Action action, int runs, bool cpuClock)
    {
        for (int i = 0; i < 3; i++) action();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long t0 = cpuClock ? ThreadCpuClock.NowNanoseconds() : Stopwatch.GetTimestamp();
            action();
            times[i] = cpuClock ? (ThreadCpuClock.NowNanoseconds() - t0) / 1e6 : Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        Console.WriteLine(FormattableString.Invariant($"{what,-36} {times[runs / 2],9:F3} {times[0],10:F3}"));
    }

    private static float[] Random(KnotRandom rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() * 2f - 1f;
        return a;
    }
}
