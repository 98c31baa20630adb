using System.Numerics.Tensors;
using Knot.Kernels;

namespace Knot.Compression.Tying;

/// <summary>
/// Affinity propagation's responsibility and availability matrices and their damped update rounds. A round is three
/// passes — responsibilities by rows, the availabilities' column sums by columns, availabilities by rows — each cut
/// into <see cref="Parts"/> contiguous ranges run in parallel. Within a range the vector passes do the plain loops'
/// exact per-element operations (no fused multiply-add, each column summed in row order), so every round is bit for
/// bit <see cref="Kernels.Reference.ReferenceAffinityPropagation.UpdateMessages"/>'s, whatever the part count (tested).
/// </summary>
internal sealed class AffinityMessages
{
    private readonly double[] _s;
    private readonly double _damp, _keep;
    private readonly double[] _columnSums;
    private readonly double[][] _fresh, _positive;   // row buffers, one per part

    /// <param name="similarity">n × n, the preference already on the diagonal; read, never written.</param>
    /// <param name="parts">Ranges each pass is cut into (1: one thread); results do not depend on it.</param>
    public AffinityMessages(double[] similarity, int n, double damping, int parts)
    {
        if (similarity.Length != (long)n * n) throw new ArgumentException($"Expected {n} × {n} similarities, got {similarity.Length}.", nameof(similarity));
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), parts, "Parts must be >= 1.");
        _s = similarity;
        N = n;
        _damp = damping;
        _keep = 1 - damping;
        Parts = Math.Min(parts, Math.Max(1, n));
        R = new double[n * n];
        A = new double[n * n];
        _columnSums = new double[n];
        _fresh = Enumerable.Range(0, Parts).Select(_ => new double[n]).ToArray();
        _positive = Enumerable.Range(0, Parts).Select(_ => new double[n]).ToArray();
    }

    public int N { get; }
    public int Parts { get; }

    /// <summary>Responsibilities r(i, k), row-major.</summary>
    public double[] R { get; }

    /// <summary>Availabilities a(i, k), row-major.</summary>
    public double[] A { get; }

    /// <summary>
    /// Parts for an n-point problem on this machine: one below 400 points, where a round (~0.3 ms at 293) is too short
    /// for three parallel hand-offs to pay (`Knot.Bench ap`: 2 parts were slower at 293 points, 1.4× faster at 512–784).
    /// </summary>
    public static int PartsFor(int n) => n < 400 ? 1 : Math.Min(Parallelism.ThreadCount, 8);

    /// <summary>One damped round: responsibilities, then availabilities.</summary>
    public void Update()
    {
        Parallelism.For(Parts, new Pass(this, 0));
        Parallelism.For(Parts, new Pass(this, 1));
        Parallelism.For(Parts, new Pass(this, 2));
    }

    private readonly struct Pass(AffinityMessages messages, int phase) : IParallelBody
    {
        public void Invoke(int part)
        {
            var (start, end) = Parallelism.Partition(messages.N, messages.Parts, part);
            switch (phase)
            {
                case 0: messages.Responsibilities(start, end, messages._fresh[part]); break;
                case 1: messages.ColumnSums(start, end, messages._positive[part]); break;
                default: messages.Availabilities(start, end, messages._fresh[part]); break;
            }
        }
    }

    /// <summary>r(i,k) ← s(i,k) − max_{k'≠k} (a(i,k') + s(i,k')) for rows [start, end).</summary>
    private void Responsibilities(int start, int end, Span<double> fresh)
    {
        int n = N;
        for (int i = start; i < end; i++)
        {
            var sRow = _s.AsSpan(i * n, n);
            TensorPrimitives.Add(A.AsSpan(i * n, n), sRow, fresh);
            int arg = TensorPrimitives.IndexOfMax<double>(fresh);
            double max1 = fresh[arg];
            double max2 = double.NegativeInfinity;
            if (arg > 0) max2 = TensorPrimitives.Max<double>(fresh[..arg]);
            if (arg < n - 1) max2 = Math.Max(max2, TensorPrimitives.Max<double>(fresh[(arg + 1)..]));
            TensorPrimitives.Subtract(sRow, max1, fresh);
            fresh[arg] = sRow[arg] - max2;
            Damp(R.AsSpan(i * n, n), fresh);
        }
    }

    /// <summary>Σ_{i'} of r(i',k) (diagonal) or max(0, r(i',k)) (elsewhere) for columns [start, end), rows in order.</summary>
    private void ColumnSums(int start, int end, double[] buffer)
    {
        int n = N, width = end - start;
        var sums = _columnSums.AsSpan(start, width);
        var positive = buffer.AsSpan(0, width);
        sums.Clear();
        for (int i = 0; i < n; i++)
        {
            var rRow = R.AsSpan(i * n + start, width);
            bool own = i >= start && i < end;
            double diagonal = own ? sums[i - start] + rRow[i - start] : 0;
            TensorPrimitives.Max(rRow, 0.0, positive);
            TensorPrimitives.Add(sums, positive, sums);
            if (own) sums[i - start] = diagonal;
        }
    }

    /// <summary>a(i,k) ← min(0, colSum(k) − max(0, r(i,k))), a(k,k) ← colSum(k) − r(k,k), for rows [start, end).</summary>
    private void Availabilities(int start, int end, Span<double> fresh)
    {
        int n = N;
        for (int i = start; i < end; i++)
        {
            var rRow = R.AsSpan(i * n, n);
            TensorPrimitives.Max(rRow, 0.0, fresh);
            TensorPrimitives.Subtract(_columnSums, fresh, fresh);
            TensorPrimitives.Min(fresh, 0.0, fresh);
            fresh[i] = _columnSums[i] - rRow[i];
            Damp(A.AsSpan(i * n, n), fresh);
        }
    }

    /// <summary>message ← damp·message + keep·fresh, two roundings like the scalar expression (fresh is overwritten).</summary>
    private void Damp(Span<double> message, Span<double> fresh)
    {
        TensorPrimitives.Multiply(message, _damp, message);
        TensorPrimitives.Multiply(fresh, _keep, fresh);
        TensorPrimitives.Add(message, fresh, message);
    }
}
