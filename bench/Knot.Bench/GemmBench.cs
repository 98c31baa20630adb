using System.Diagnostics;
using Knot.Kernels;

namespace Knot.Bench;

/// <summary>
/// <c>gemm [--threads 1,2] [--kernel auto|v128|v256|v512] [--reps N] [--shape name] [--clock wall|cpu]</c>:
/// prints one line per (shape, threads): name, m, n, k, transA, transB, threads, median GFLOP/s, best GFLOP/s.
/// The same shapes are in bench/gemm_torch.py so bench/gemm.sh can print ratios. <c>--clock cpu</c> divides by
/// the process's CPU time instead of wall time: on a shared, overloaded machine that still measures per-core
/// speed for 1 thread (time spent descheduled does not count), but it cannot show multi-thread scaling.
/// </summary>
internal static class GemmBench
{
    /// <summary>Square sizes plus the LeNet-300-100 training GEMMs at batch 128 (Linear weight is (out, in)).</summary>
    public static readonly (string Name, int M, int N, int K, bool TransA, bool TransB)[] Shapes =
    [
        ("sq256", 256, 256, 256, false, false),
        ("sq512", 512, 512, 512, false, false),
        ("sq1024", 1024, 1024, 1024, false, false),
        // Forward Y = X · Wᵀ: X (128, in), W (out, in).
        ("fc1_fwd", 128, 300, 784, false, true),
        ("fc2_fwd", 128, 100, 300, false, true),
        ("fc3_fwd", 128, 10, 100, false, true),
        // Weight gradient dW = dYᵀ · X: dY (128, out), X (128, in) -> (out, in).
        ("fc1_dW", 300, 784, 128, true, false),
        ("fc2_dW", 100, 300, 128, true, false),
        ("fc3_dW", 10, 100, 128, true, false),
        // Input gradient dX = dY · W: dY (128, out), W (out, in) -> (128, in).
        ("fc1_dX", 128, 784, 300, false, false),
        ("fc2_dX", 128, 300, 100, false, false),
        ("fc3_dX", 128, 100, 10, false, false),
    ];

    public static int Run(string[] args)
    {
        int[] threadCounts = [1, 2];
        var kernel = GemmKernelKind.Auto;
        int reps = 7;
        string? only = null;
        bool cpuClock = false;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threadCounts = [.. args[i + 1].Split(',').Select(int.Parse)]; break;
                case "--kernel":
                    kernel = args[i + 1] switch
                    {
                        "auto" => GemmKernelKind.Auto,
                        "v128" => GemmKernelKind.Vector128,
                        "v256" => GemmKernelKind.Vector256,
                        "v512" => GemmKernelKind.Vector512,
                        _ => throw new ArgumentException($"--kernel must be auto|v128|v256|v512, got '{args[i + 1]}'."),
                    };
                    break;
                case "--reps": reps = int.Parse(args[i + 1]); break;
                case "--shape": only = args[i + 1]; break;
                case "--clock":
                    cpuClock = args[i + 1] switch
                    {
                        "wall" => false,
                        "cpu" => true,
                        _ => throw new ArgumentException($"--clock must be wall|cpu, got '{args[i + 1]}'."),
                    };
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        Console.WriteLine($"# knot gemm kernel={(kernel == GemmKernelKind.Auto ? Gemm.BestKernel : kernel)} cores={Environment.ProcessorCount} clock={(cpuClock ? "cpu" : "wall")}");
        using var process = Process.GetCurrentProcess();
        double Now()
        {
            if (!cpuClock) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }

        Console.WriteLine("name m n k transA transB threads median_gflops best_gflops");
        foreach (var s in Shapes)
        {
            if (only is not null && only != s.Name) continue;
            var rng = new Random(1);
            float[] a = Fill(s.M * s.K, rng), b = Fill(s.K * s.N, rng), c = new float[s.M * s.N];
            int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
            double flops = 2.0 * s.M * s.N * s.K;
            foreach (int threads in threadCounts)
            {
                void Once() => Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N, kernel, threads);
                // Each sample runs long enough (>= ~20 ms) for either clock to be precise.
                double start = Now();
                int inner = 0;
                while (Now() - start < 0.02 || inner < 3) { Once(); inner++; }
                var samples = new double[reps];
                for (int r = 0; r < reps; r++)
                {
                    start = Now();
                    for (int i = 0; i < inner; i++) Once();
                    samples[r] = flops * inner / (Now() - start) / 1e9;
                }

                Array.Sort(samples);
                Console.WriteLine($"{s.Name} {s.M} {s.N} {s.K} {(s.TransA ? 1 : 0)} {(s.TransB ? 1 : 0)} {threads} {samples[reps / 2]:F1} {samples[^1]:F1}");
            }
        }

        return 0;
    }

    private static float[] Fill(int count, Random rng)
    {
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
