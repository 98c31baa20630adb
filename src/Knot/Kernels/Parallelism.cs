using System.Runtime.ExceptionServices;

namespace Knot.Kernels;

/// <summary>One unit of a <see cref="Parallelism.For(int, IParallelBody)"/> loop.</summary>
/// <remarks>
/// <see cref="Invoke"/> is called once for every index, possibly from several threads at once, in no fixed
/// order. To stay deterministic, the work (and the bits it produces) must depend only on the index, never on
/// which thread runs it or when.
/// </remarks>
public interface IParallelBody
{
    void Invoke(int index);
}

/// <summary>
/// How many threads Knot's kernels may use, and the allocation-free parallel loop they share. Work is always
/// split by the same rule for a given thread count, so a seeded run gives the same bits every time at the
/// same setting (the GEMM gives the same bits at every setting).
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

    /// <summary>
    /// The index range [Start, End) of part <paramref name="part"/> when <paramref name="total"/> items are cut
    /// into <paramref name="parts"/> contiguous, near-equal parts (sizes differ by at most one). Depends only on
    /// its arguments, so a body that uses it splits work the same way whichever thread runs which part.
    /// </summary>
    public static (int Start, int End) Partition(int total, int parts, int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        if ((uint)part >= (uint)parts) throw new ArgumentOutOfRangeException(nameof(part), part, $"Part must be in [0, {parts}).");
        return ((int)((long)total * part / parts), (int)((long)total * (part + 1) / parts));
    }

    /// <summary>
    /// Runs <paramref name="body"/>.Invoke(i) for every i in [0, count), on up to <see cref="ThreadCount"/>
    /// threads (the calling thread included). Returns when all are done; the first exception is rethrown.
    /// Allocates nothing in steady state. Calls made while another loop is running (nested, or from another
    /// thread) run sequentially on the calling thread.
    /// </summary>
    public static void For(int count, IParallelBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        For(count, new InterfaceBody(body), s_threads);
    }

    /// <summary>
    /// Like <see cref="For(int, IParallelBody)"/> for a struct body, which avoids boxing. Every thread calls
    /// Invoke on one shared copy of <paramref name="body"/>, so Invoke must not rely on mutating the struct.
    /// </summary>
    public static void For<TBody>(int count, TBody body) where TBody : struct, IParallelBody =>
        For(count, body, s_threads);

    /// <summary>As <see cref="For{TBody}(int, TBody)"/> with an explicit thread limit (tests, benchmarks).</summary>
    internal static void For<TBody>(int count, TBody body, int maxThreads) where TBody : struct, IParallelBody
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        int threads = Math.Min(maxThreads, count);
        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }

        try
        {
            StructWork<TBody> work = StructWork<TBody>.Instance ??= new StructWork<TBody>();
            work.Body = body;
            try
            {
                s_pool.Run(work, count, threads - 1);
            }
            finally
            {
                work.Body = default;
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    // 1 while a parallel loop owns the pool. Guards the pool and the cached work objects.
    private static int s_busy;
    private static readonly WorkerPool s_pool = new();

    private readonly struct InterfaceBody(IParallelBody body) : IParallelBody
    {
        public void Invoke(int index) => body.Invoke(index);
    }

    private abstract class Work
    {
        public abstract void Invoke(int index);
    }

    // One cached instance per body type; only touched by the thread that owns the pool (s_busy).
    private sealed class StructWork<TBody> : Work where TBody : struct, IParallelBody
    {
        public static StructWork<TBody>? Instance;
        public TBody Body;

        public override void Invoke(int index) => Body.Invoke(index);
    }

    /// <summary>
    /// Persistent background threads that sleep on an event between loops. Indices are handed out through a
    /// shared counter, so a slow (shared, noisy) core simply takes fewer of them.
    /// </summary>
    // The pool lives as long as the process (its threads are background threads), so its events are never
    // disposed; disposing them under a sleeping worker would be the actual bug.
#pragma warning disable CA1001
    private sealed class WorkerPool
    {
        private readonly List<Worker> _workers = [];
        private readonly ManualResetEventSlim _done = new(false);
        private Work? _work;
        private int _count;
        private int _next;
        private int _pending;
        private Exception? _error;

        public void Run(Work work, int count, int helpers)
        {
            while (_workers.Count < helpers) _workers.Add(new Worker(this, _workers.Count));

            _work = work;
            _count = count;
            _error = null;
            Volatile.Write(ref _next, 0);
            Volatile.Write(ref _pending, helpers);
            _done.Reset();
            for (int i = 0; i < helpers; i++) _workers[i].Wake.Set();

            RunShare();
            _done.Wait();
            _work = null;

            if (_error is { } error) ExceptionDispatchInfo.Throw(error);
        }

        private void RunShare()
        {
            Work work = _work!;
            int count = _count;
            while (true)
            {
                int index = Interlocked.Increment(ref _next) - 1;
                if (index >= count) return;
                try
                {
                    work.Invoke(index);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref _error, ex, null);
                    Volatile.Write(ref _next, count); // stop handing out further indices
                }
            }
        }

        private void WorkerLoop(Worker self)
        {
            while (true)
            {
                self.Wake.Wait();
                self.Wake.Reset();
                RunShare();
                if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
            }
        }

        private sealed class Worker
        {
            public readonly ManualResetEventSlim Wake = new(false);

            public Worker(WorkerPool pool, int id)
            {
                var thread = new Thread(() => pool.WorkerLoop(this))
                {
                    IsBackground = true,
                    Name = $"Knot worker {id + 1}",
                };
                thread.Start();
            }
        }
    }
#pragma warning restore CA1001
}
