using System.Runtime.InteropServices;

namespace Knot.Bench;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), in Stopwatch-like ticks of 1 ns. On a machine
/// whose load is many times its core count, wall-clock laps mostly measure time spent waiting for a core; this
/// clock only advances while the thread runs, so per-piece timings stay meaningful (for 1-thread runs).
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && TryNow(out _);

    public static long NowNanoseconds() =>
        TryNow(out long ns) ? ns : throw new PlatformNotSupportedException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");

    private static bool TryNow(out long ns)
    {
        ns = 0;
        if (NativeMethods.clock_gettime(ClockThreadCpuTimeId, out var ts) != 0) return false;
        ns = ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int clock_gettime(int clockId, out TimeSpec time);
    }
}
