namespace Knot.Tensors;

/// <summary>
/// A pool of float buffers for the intermediate tensors of one training step. While an arena is active on a
/// thread, every op output and every intermediate gradient is rented from it; <see cref="Reset"/> (called by
/// the trainer at the start of each step) hands all of them back. In steady state a step then allocates no
/// tensor memory at all. Without an active arena, ops allocate ordinary arrays, which is always safe.
/// Rule for callers: a tensor produced inside an arena step is valid until the arena's next Reset.
/// </summary>
public sealed class TensorArena
{
    [ThreadStatic] private static TensorArena? t_current;

    private readonly Dictionary<int, Stack<float[]>> _free = new();
    private readonly List<float[]> _rented = new();

    public static TensorArena? Current => t_current;

    /// <summary>Bytes of float buffers owned by this arena (free and rented).</summary>
    public long PooledBytes { get; private set; }

    /// <summary>Makes this arena the current one on this thread until the returned scope is disposed.</summary>
    public Scope Activate()
    {
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    public float[] Rent(int length, bool clear)
    {
        float[] buffer;
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            buffer = stack.Pop();
            if (clear) Array.Clear(buffer);
        }
        else
        {
            buffer = new float[length];
            PooledBytes += 4L * length;
        }
        _rented.Add(buffer);
        return buffer;
    }

    /// <summary>Returns every buffer rented since the last reset to the pool.</summary>
    public void Reset()
    {
        foreach (var buffer in _rented)
        {
            if (!_free.TryGetValue(buffer.Length, out var stack))
            {
                stack = new Stack<float[]>();
                _free[buffer.Length] = stack;
            }
            stack.Push(buffer);
        }
        _rented.Clear();
    }

    public readonly struct Scope : IDisposable
    {
        private readonly TensorArena? _previous;
        internal Scope(TensorArena? previous) => _previous = previous;
        public void Dispose() => t_current = _previous;
    }

    /// <summary>A buffer from the current arena, or a fresh array when no arena is active.</summary>
    internal static float[] Allocate(int length, bool clear)
    {
        var arena = t_current;
        return arena is null ? new float[length] : arena.Rent(length, clear);
    }
}
