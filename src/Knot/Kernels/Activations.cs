using System.Numerics;
using System.Runtime.InteropServices;

namespace Knot.Kernels;

public static class Activations
{
    /// <summary>dx += dy where y > 0 (y is the ReLU output, so y > 0 ⇔ x > 0).</summary>
    public static void ReluBackwardAccumulate(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (y.Length != dy.Length || dx.Length != y.Length)
            throw new ArgumentException($"ReluBackward: lengths differ (y {y.Length}, dy {dy.Length}, dx {dx.Length}).");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var yv = MemoryMarshal.Cast<float, Vector<float>>(y);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(dx);
            for (int v = 0; v < yv.Length; v++)
                dv[v] += Vector.ConditionalSelect(Vector.GreaterThan(yv[v], Vector<float>.Zero), gv[v], Vector<float>.Zero);
            i = yv.Length * Vector<float>.Count;
        }
        for (; i < y.Length; i++) if (y[i] > 0) dx[i] += dy[i];
    }
}
