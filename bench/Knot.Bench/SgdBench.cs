using System.Globalization;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Knot.Bench;

/// <summary>
/// <c>sgd [--steps N] [--clock cpu]</c>: <see cref="Sgd.Step"/> (momentum 0.9) on LeNet-300-100's 266,610
/// parameters, next to the same update written as two TensorPrimitives passes (buf = μ·buf + g; w = w − lr·buf), the
/// vectorized form the profile suggests, and as one fused Vector&lt;float&gt; pass. All give the same values; only the time differs.
/// </summary>
internal static class SgdBench
{
    public static int Run(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 1);
        int steps = options.Steps ?? 200;
        Func<long> now = options.CpuClock ? ThreadCpuClock.NowNanoseconds : () => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency));
        var rng = new KnotRandom(3);
        int[][] shapes = [[300, 784], [300], [100, 300], [100], [10, 100], [10]];
        var parameters = shapes.Select(s => new Parameter(Tensor.Zeros(s))).ToList();
        foreach (var p in parameters)
        {
            p.Value.Grad = Tensor.Zeros(p.Value.Shape);
            for (int i = 0; i < p.Value.Length; i++) { p.Value.Data[i] = rng.NextSingle() - 0.5f; p.Value.Grad.Data[i] = (rng.NextSingle() - 0.5f) * 1e-3f; }
        }
        var sgd = new Sgd(parameters, learningRate: 0.01f, momentum: 0.9f);
        var buffers = parameters.Select(p => new float[p.Value.Length]).ToList();

        double Measure(Action step)
        {
            for (int i = 0; i < 20; i++) step();
            var times = new double[steps];
            for (int i = 0; i < steps; i++)
            {
                long t0 = now();
                step();
                times[i] = (now() - t0) / 1e6;
            }
            Array.Sort(times);
            return times[steps / 2];
        }

        double engine = Measure(sgd.Step);
        double vectorized = Measure(() =>
        {
            for (int k = 0; k < parameters.Count; k++)
            {
                var w = parameters[k].Value;
                TensorPrimitives.MultiplyAdd(buffers[k], 0.9f, w.Grad!.Data, buffers[k]);
                TensorPrimitives.MultiplyAdd(buffers[k], -0.01f, w.Data, w.Data);
            }
        });
        double fused = Measure(() =>
        {
            for (int k = 0; k < parameters.Count; k++) FusedMomentumStep(parameters[k].Value.Data, parameters[k].Value.Grad!.Data, buffers[k], 0.9f, 0.01f);
        });
        long count = parameters.Sum(p => (long)p.Value.Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SGD momentum step, {count} params, median of {steps} ({(options.CpuClock ? "thread CPU" : "wall")} clock): Sgd.Step {engine:F3} ms, TensorPrimitives two-pass {vectorized:F3} ms ({engine / vectorized:F1}x), fused one-pass Vector<float> {fused:F3} ms ({engine / fused:F1}x); loadavg {TrainBench.LoadAverage()}"));
        return 0;
    }

    /// <summary>buf = μ·buf + g; w −= lr·buf in one pass over the three arrays.</summary>
    private static void FusedMomentumStep(Span<float> w, ReadOnlySpan<float> g, Span<float> buf, float mu, float lr)
    {
        int n = w.Length, i = 0, width = System.Numerics.Vector<float>.Count;
        var vmu = new System.Numerics.Vector<float>(mu);
        var vlr = new System.Numerics.Vector<float>(lr);
        for (; i <= n - width; i += width)
        {
            var b = vmu * new System.Numerics.Vector<float>(buf[i..]) + new System.Numerics.Vector<float>(g[i..]);
            b.CopyTo(buf[i..]);
            (new System.Numerics.Vector<float>(w[i..]) - vlr * b).CopyTo(w[i..]);
        }
        for (; i < n; i++)
        {
            buf[i] = mu * buf[i] + g[i];
            w[i] -= lr * buf[i];
        }
    }
}
