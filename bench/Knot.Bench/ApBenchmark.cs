using System.Diagnostics;
using Knot.Compression.Tying;
using Knot.Kernels.Reference;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// Affinity propagation's message round (the whole cost of tying: O(n²) per iteration, hundreds of iterations per
/// preference a cluster cap tries) in its vector passes against the plain-loop reference, at the group counts that
/// occur: growl-mnist's live FC1 inputs after stage 1 (~290), a VGG layer's 512 channels, all 784 FC1 inputs.
/// One part (one thread) and two parts (two threads, the same bits); best of several timed batches of rounds.
/// </summary>
public static class ApBenchmark
{
    public static void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("Affinity propagation, one damped message round (responsibilities + availabilities)");
        output.WriteLine($"{"groups",8}{"vector µs",12}{"2 parts µs",12}{"reference µs",14}{"reference/vector",18}{"reference/2 parts",19}");
        foreach (int n in new[] { 293, 512, 784 }) Measure(output, n);
    }

    private static void Measure(TextWriter output, int n)
    {
        var rng = new KnotRandom((ulong)n);
        var s = new double[n * n];
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextNormal() * 0.3;
        for (int i = 0; i < n; i++) s[i * n + i] = -1.0;
        var one = new AffinityMessages(s, n, 0.5, parts: 1);
        double vector = Best(one.Update);
        var two = new AffinityMessages(s, n, 0.5, parts: 2);
        double parallel = Best(two.Update);
        double[] r = new double[n * n], a = new double[n * n];
        double reference = Best(() => ReferenceAffinityPropagation.UpdateMessages(s, r, a, n, 0.5));
        output.WriteLine($"{n,8}{vector,12:F0}{parallel,12:F0}{reference,14:F0}{reference / vector,18:F2}{reference / parallel,19:F2}");
    }

    /// <summary>Microseconds per call: the best mean over 7 batches of 20 calls, after a warm-up batch.</summary>
    private static double Best(Action round)
    {
        const int Calls = 20;
        double best = double.PositiveInfinity;
        for (int batch = 0; batch < 8; batch++)
        {
            var clock = Stopwatch.StartNew();
            for (int c = 0; c < Calls; c++) round();
            double perCall = clock.Elapsed.TotalMicroseconds / Calls;
            if (batch > 0) best = Math.Min(best, perCall);
        }
        return best;
    }
}
