using Knot.Kernels;

namespace Knot.Tests.Kernels;

/// <summary>
/// Steady-state GEMM calls allocate nothing, on the calling thread or on the worker threads. Runs alone (no
/// other test allocating concurrently), and keeps the best of a few rounds so a stray runtime allocation
/// (tiering, the test host) cannot fail it; a per-call allocation shows up in every round.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class GemmAllocationTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int> { { "Vector128", 1 }, { "Auto", 1 }, { "Auto", 2 } };
        if (Gemm.BestKernel >= GemmKernelKind.Vector256) data.Add("Vector256", 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SteadyStateCallsAllocateNothing(string kernelName, int threads)
    {
        var kernel = Enum.Parse<GemmKernelKind>(kernelName);
        float[] a = new float[128 * 300], b = new float[300 * 200], c = new float[128 * 200];
        void Call(int m, int n, int k, bool tA, bool tB) =>
            Gemm.Multiply(tA, tB, m, n, k, 1f, a, Math.Max(1, tA ? m : k), b, Math.Max(1, tB ? k : n), 0.5f, c, n, kernel, threads);
        void Round()
        {
            Call(128, 200, 300, false, false); // packed, split across threads
            Call(128, 200, 300, true, true);
            Call(10, 10, 10, false, true);     // direct path
            Call(3, 3, 0, false, false);       // k == 0
        }

        for (int i = 0; i < 20; i++) Round(); // warm-up: grow scratch, start workers, tier up

        long best = long.MaxValue, bestThread = long.MaxValue;
        for (int attempt = 0; attempt < 5 && (best != 0 || bestThread != 0); attempt++)
        {
            long total0 = GC.GetTotalAllocatedBytes(precise: true);
            long thread0 = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) Round();
            bestThread = Math.Min(bestThread, GC.GetAllocatedBytesForCurrentThread() - thread0);
            best = Math.Min(best, GC.GetTotalAllocatedBytes(precise: true) - total0);
        }

        // The calling thread must be exactly clean. Process-wide, the test host's own threads allocate a few
        // hundred bytes now and then, so the bound is "less than one object (24 bytes) per call": a GEMM that
        // allocated anything per call, on any worker thread, would exceed it.
        const int calls = 20 * 4;
        Assert.True(bestThread == 0, $"Steady-state GEMM allocated {bestThread} bytes on the calling thread per {calls} calls.");
        Assert.True(best < calls * 24, $"Steady-state GEMM allocated {best} bytes process-wide per {calls} calls.");
    }
}
