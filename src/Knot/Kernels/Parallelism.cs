namespace Knot.Kernels;

/// <summary>
/// How many threads Knot's kernels may use. Work is always split by the same rule for a given thread count,
/// so a seeded run gives the same bits every time at the same setting.
/// </summary>
public static class Parallelism
{
    private static int s_threads = Math.Max(1, Environment.ProcessorCount);

    public static int ThreadCount
    {
        get => s_threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Thread count must be >= 1.");
            s_threads = value;
        }
    }
}
