using Knot.Kernels;

namespace Knot.Tests.Kernels;

/// <summary>Parallelism.For: every index exactly once, really concurrent, errors surface, nesting is safe.</summary>
[Collection(SerialCollection.Name)] // asserts the pool really runs two threads: no other test may hold it meanwhile
public sealed class GemmParallelismTests
{
    private sealed class CountingBody(int count) : IParallelBody
    {
        public readonly int[] Hits = new int[count];

        public void Invoke(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private readonly struct StructCountingBody(int[] hits) : IParallelBody
    {
        public void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void EveryIndexRunsExactlyOnce(int count)
    {
        var body = new CountingBody(count);
        Parallelism.For(count, body);
        Assert.All(body.Hits, h => Assert.Equal(1, h));

        int[] hits = new int[count];
        Parallelism.For(count, new StructCountingBody(hits), maxThreads: 3);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    private sealed class NeedsTwoThreadsBody : IParallelBody
    {
        private readonly ManualResetEventSlim _otherThreadRan = new(false);
        private int _firstThread = -1;
        public bool SawSecondThread;

        public void Invoke(int index)
        {
            int me = Environment.CurrentManagedThreadId;
            int first = Interlocked.CompareExchange(ref _firstThread, me, -1);
            if (first == -1)
            {
                // The first index blocks until some other index runs on a different thread: that only happens
                // if the loop really runs on two threads at once.
                SawSecondThread = _otherThreadRan.Wait(TimeSpan.FromSeconds(20));
            }
            else if (first != me)
            {
                _otherThreadRan.Set();
            }
        }
    }

    [Fact]
    public void RunsOnTwoThreadsConcurrently()
    {
        var body = new NeedsTwoThreadsBody();
        Parallelism.For(2, new Adapter(body), maxThreads: 2);
        Assert.True(body.SawSecondThread);
    }

    private readonly struct Adapter(IParallelBody inner) : IParallelBody
    {
        public void Invoke(int index) => inner.Invoke(index);
    }

    private sealed class ThrowingBody : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 5) throw new InvalidOperationException("boom 5");
        }
    }

    [Fact]
    public void FirstExceptionIsRethrownAndPoolStaysUsable()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.For(50, new Adapter(new ThrowingBody()), maxThreads: 2));
        Assert.Equal("boom 5", ex.Message);
        var body = new CountingBody(100);
        Parallelism.For(100, new Adapter(body), maxThreads: 2);
        Assert.All(body.Hits, h => Assert.Equal(1, h));
    }

    private sealed class NestedBody : IParallelBody
    {
        public readonly int[] Hits = new int[16];

        public void Invoke(int outer) => Parallelism.For(4, new Inner(Hits, outer), maxThreads: 2);

        private readonly struct Inner(int[] hits, int outer) : IParallelBody
        {
            public void Invoke(int index) => Interlocked.Increment(ref hits[outer * 4 + index]);
        }
    }

    [Fact]
    public void NestedLoopsRunAndComplete()
    {
        var body = new NestedBody();
        Parallelism.For(4, new Adapter(body), maxThreads: 2);
        Assert.All(body.Hits, h => Assert.Equal(1, h));
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(2, 5)]
    [InlineData(0, 2)]
    [InlineData(1000, 1)]
    public void PartitionCoversTheRangeInNearEqualContiguousParts(int total, int parts)
    {
        int expectedStart = 0;
        for (int part = 0; part < parts; part++)
        {
            var (start, end) = Parallelism.Partition(total, parts, part);
            Assert.Equal(expectedStart, start);
            Assert.InRange(end - start, total / parts, total / parts + 1);
            expectedStart = end;
        }

        Assert.Equal(total, expectedStart);
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Partition(total, parts, parts));
    }

    [Fact]
    public void ThreadCountRejectsZero() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.ThreadCount = 0);
}
