using System.Diagnostics;
using Knot.Compression.Proximal;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// Speed of the GrOWL prox on the two FC sizes that matter (GrOWL-MNIST's FC1 and a VGG-sized FC), against the
/// memory-bound floor of reading and writing the weight matrix once (a span copy of the same size).
/// Single thread. Reports the best single-call time of many.
/// </summary>
public static class ProxBenchmark
{
    public static void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("GrOWL prox (PLD λ, per-step application) vs memory-bound floor (span copy), single thread");
        output.WriteLine($"{"weight shape",-18}{"groups",8}{"prox µs",12}{"norms µs",12}{"scale µs",12}{"copy µs",12}{"prox/copy",11}");
        // FC1 of GrOWL-MNIST (784 groups), a VGG-sized FC (4608 groups), and a VGG 3×3 conv (512 channel groups).
        foreach (var shape in new[] { new[] { 300, 784 }, new[] { 512, 4608 }, new[] { 512, 512, 3, 3 } })
            Measure(output, shape);
    }

    private static void Measure(TextWriter output, int[] shape)
    {
        var layout = new GroupLayout(shape);
        var rng = new KnotRandom(1234);
        var weights = new float[layout.Size];
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(rng.NextNormal() * 0.05);
        var copyTarget = new float[layout.Size];
        var norms = new float[layout.GroupCount];
        var rowScratch = new float[layout.Inner > 1 ? layout.RowStride : 0];
        var scales = new float[layout.GroupCount];
        Array.Fill(scales, 0.9999999f);

        // Per-step strengths of the paper's GrOWL-MNIST run (Λ1 = 12, Λ2 = 0.215 per epoch, 469 steps, lr 1e-3):
        // realistic shrinkage, so the sort sees distinct norms and few groups die during the benchmark.
        var lambdas = OwlWeights.Pld(layout.GroupCount, 12, 0.215, 0.5).Scaled(1.0 / 469);
        var prox = new GrowlProximal(layout, lambdas);
        const float lr = 1e-3f;

        double proxUs = Time(() => prox.Apply(weights, lr));
        double normsUs = Time(() => layout.Norms(weights, norms, rowScratch));
        double scaleUs = Time(() => layout.ScaleGroups(weights, scales, rowScratch));
        double copyUs = Time(() => weights.AsSpan().CopyTo(copyTarget));
        output.WriteLine($"{"(" + string.Join(",", shape) + ")",-18}{layout.GroupCount,8}{proxUs,12:F1}{normsUs,12:F1}{scaleUs,12:F1}{copyUs,12:F1}{proxUs / copyUs,11:F2}");
    }

    /// <summary>
    /// Best single-call time (µs) over up to 400 calls or 0.5 s after warm-up. Single calls and the minimum, because on
    /// a shared machine preemption only ever adds time and a batch of calls is rarely left alone for its whole length.
    /// </summary>
    private static double Time(Action action)
    {
        // Warm up past tiered JIT's promotion (30 calls + a background delay), or Tier-0 code gets timed.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 60 || warm.ElapsedMilliseconds < 300; i++) action();
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        double best = double.PositiveInfinity;
        for (int i = 0; i < 400 && total.ElapsedMilliseconds < 500; i++)
        {
            sw.Restart();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMicroseconds);
        }
        return best;
    }
}
