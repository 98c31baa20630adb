using System.Diagnostics;
using System.Globalization;
using Knot.Kernels;
using Knot.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Bench;

/// <summary>
/// <c>profile-conv [--threads 1,2] [--steps N] [--clock wall|cpu]</c>: LeNet-5-Caffe's two convolutions at batch 128 taken apart into the
/// pieces <see cref="Convolution"/> runs (im2col, GEMM, bias, layout copies, col2im), replayed here with the same
/// public kernels, the same chunking (<see cref="Convolution.ChunkImages"/>) and the same GEMM shapes, each piece
/// summed over the batch. Shows which piece of a convolution layer costs what; the per-layer totals in
/// <c>profile</c> are the ground truth. <c>--clock cpu</c>: the calling thread's CPU time (1 thread, loaded machine).
/// </summary>
internal static class ConvParts
{
    private const int Batch = 128;

    public static int Run(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 1);
        int saved = Parallelism.ThreadCount;
        try
        {
            foreach (int threads in options.Threads)
            {
                Parallelism.ThreadCount = threads;
                Console.WriteLine(FormattableString.Invariant($"# LeNet-5-Caffe conv pieces, batch {Batch}, {threads} thread(s), {(options.CpuClock ? "thread CPU" : "wall")} clock, median of {options.Steps ?? 20} runs; loadavg {TrainBench.LoadAverage()}"));
                Layer("conv1", new ConvolutionGeometry(Batch, 1, 28, 28, 5, 5, 1, 1, 0, 0), 20, needInputGrad: false, options.Steps ?? 20, options.CpuClock);
                Layer("conv2", new ConvolutionGeometry(Batch, 20, 12, 12, 5, 5, 1, 1, 0, 0), 50, needInputGrad: true, options.Steps ?? 20, options.CpuClock);
                Console.WriteLine();
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
        return 0;
    }

    private static void Layer(string name, ConvolutionGeometry g, int cout, bool needInputGrad, int runs, bool cpuClock)
    {
        Func<long> now = cpuClock ? ThreadCpuClock.NowNanoseconds : () => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        var rng = new KnotRandom(7);
        int plane = g.OutputPlane, patch = g.PatchSize, inSize = g.Channels * g.InputPlane, outSize = cout * plane;
        int chunk = Convolution.ChunkImages(g);
        var x = Random(rng, Batch * inSize);
        var w = Random(rng, cout * patch);
        var bias = Random(rng, cout);
        var y = new float[Batch * outSize];
        var dy = Random(rng, Batch * outSize);
        var dx = new float[Batch * inSize];
        var dw = new float[cout * patch];
        var db = new float[cout];
        var columns = new float[patch * chunk * plane];
        var chunkOut = new float[cout * chunk * plane];
        var dcol = new float[patch * chunk * plane];

        var pieces = new Dictionary<string, List<double>>();
        var order = new List<string>();
        for (int run = 0; run < runs + 2; run++)
        {
            var acc = new Dictionary<string, double>();
            void Time(string key, Action action)
            {
                long t0 = now();
                action();
                double ms = (now() - t0) / 1e6;
                acc[key] = acc.GetValueOrDefault(key) + ms;
            }

            // Forward, as Convolution.Forward.
            for (int n0 = 0; n0 < Batch; n0 += chunk)
            {
                int count = Math.Min(chunk, Batch - n0), cols = count * plane;
                Time("fwd im2col", () => { for (int i = 0; i < count; i++) Im2Col.Pack(g, x.AsSpan((n0 + i) * inSize, inSize), columns, cols, i * plane); });
                if (count == 1)
                {
                    Time("fwd bias fill", () => { for (int co = 0; co < cout; co++) y.AsSpan(n0 * outSize + co * plane, plane).Fill(bias[co]); });
                    Time($"fwd GEMM {cout}x{cols}x{patch} nn", () => Gemm.Multiply(false, false, cout, plane, patch, 1f, w, patch, columns, plane, 1f, y.AsSpan(n0 * outSize, outSize), plane));
                }
                else
                {
                    Time($"fwd GEMM {cout}x{cols}x{patch} nn", () => Gemm.Multiply(false, false, cout, cols, patch, 1f, w, patch, columns, cols, 0f, chunkOut, cols));
                    Time("fwd scatter + bias", () =>
                    {
                        for (int i = 0; i < count; i++)
                            for (int co = 0; co < cout; co++)
                                TensorPrimitives.Add(chunkOut.AsSpan(co * cols + i * plane, plane), bias[co], y.AsSpan((n0 + i) * outSize + co * plane, plane));
                    });
                }
            }

            // Backward, as Convolution.Backward.
            Time("bwd bias sums", () =>
            {
                for (int n = 0; n < Batch; n++)
                    for (int co = 0; co < cout; co++)
                        db[co] += TensorPrimitives.Sum(dy.AsSpan(n * outSize + co * plane, plane));
            });
            for (int n0 = 0; n0 < Batch; n0 += chunk)
            {
                int count = Math.Min(chunk, Batch - n0), cols = count * plane;
                float[] dyChunk;
                int dyOffset;
                if (count == 1)
                {
                    dyChunk = dy;
                    dyOffset = n0 * outSize;
                }
                else
                {
                    Time("bwd gather dY", () =>
                    {
                        for (int i = 0; i < count; i++)
                            for (int co = 0; co < cout; co++)
                                dy.AsSpan((n0 + i) * outSize + co * plane, plane).CopyTo(chunkOut.AsSpan(co * cols + i * plane, plane));
                    });
                    dyChunk = chunkOut;
                    dyOffset = 0;
                }
                Time("bwd im2col (recomputed)", () => { for (int i = 0; i < count; i++) Im2Col.Pack(g, x.AsSpan((n0 + i) * inSize, inSize), columns, cols, i * plane); });
                if (cout * patch <= 1024)
                {
                    Time($"bwd dW row dots {cout}x{patch}x{cols}", () =>
                    {
                        for (int r = 0; r < cout; r++)
                        {
                            var ar = dyChunk.AsSpan(dyOffset + r * cols, cols);
                            for (int q = 0; q < patch; q++) dw[r * patch + q] += TensorPrimitives.Dot(ar, columns.AsSpan(q * cols, cols));
                        }
                    });
                }
                else
                {
                    Time($"bwd dW GEMM {cout}x{patch}x{cols} nt", () => Gemm.Multiply(false, true, cout, patch, cols, 1f, dyChunk.AsSpan(dyOffset), cols, columns, cols, 1f, dw, patch));
                }
                if (needInputGrad)
                {
                    Time($"bwd dCol GEMM {patch}x{cols}x{cout} tn", () => Gemm.Multiply(true, false, patch, cols, cout, 1f, w, patch, dyChunk.AsSpan(dyOffset), cols, 0f, dcol, cols));
                    Time("bwd col2im", () => { for (int i = 0; i < count; i++) Im2Col.Accumulate(g, dcol, cols, i * plane, dx.AsSpan((n0 + i) * inSize, inSize)); });
                }
            }

            if (run < 2) continue; // warm-up
            foreach (var (key, ms) in acc)
            {
                if (!pieces.TryGetValue(key, out var list)) { pieces[key] = list = []; order.Add(key); }
                list.Add(ms);
            }
        }

        double total = order.Sum(k => Median(pieces[k]));
        Console.WriteLine(FormattableString.Invariant($"{name}: {chunk} image(s) per chunk, {(Batch + chunk - 1) / chunk} chunks; pieces sum {total:F2} ms"));
        foreach (var key in order)
        {
            double m = Median(pieces[key]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-34} {m,9:F3} ms {100 * m / total,6:F1}%"));
        }
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static float[] Random(KnotRandom rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
        return a;
    }
}
