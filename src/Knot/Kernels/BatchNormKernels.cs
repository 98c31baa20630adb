using System.Numerics;
using System.Runtime.InteropServices;

namespace Knot.Kernels;

/// <summary>
/// Batch normalisation over a tensor viewed as (N, C, S): S = 1 for BatchNorm1d on (N, C), S = H·W for
/// BatchNorm2d on (N, C, H, W). Statistics are per channel over the N·S values; sums run in a fixed order
/// with double accumulation across planes, so results are repeatable.
/// </summary>
public static class BatchNormKernels
{
    /// <summary>Per-channel mean and biased variance (two passes: mean first, then squared deviations).</summary>
    public static void Statistics(int batch, int channels, int spatial, ReadOnlySpan<float> x, Span<float> mean, Span<float> variance)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, variance.Length);
        double count = (double)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++) sum += Sum(Plane(x, n, c, channels, spatial));
            float m = (float)(sum / count);
            double squares = 0;
            for (int n = 0; n < batch; n++) squares += SumSquaredDeviations(Plane(x, n, c, channels, spatial), m);
            mean[c] = m;
            variance[c] = (float)(squares / count);
        }
    }

    /// <summary>y = (x − mean)·invStd·gamma + beta per channel; empty gamma/beta mean 1/0 (affine off).</summary>
    public static void Normalize(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, invStd.Length);
        if (y.Length != x.Length) throw new ArgumentException($"BatchNorm: output needs {x.Length} elements, got {y.Length}.");
        for (int c = 0; c < channels; c++)
        {
            // Folded into one multiply-add per element: y = x·scale + shift.
            float scale = invStd[c] * (gamma.IsEmpty ? 1f : gamma[c]);
            float shift = (beta.IsEmpty ? 0f : beta[c]) - mean[c] * scale;
            for (int n = 0; n < batch; n++)
            {
                int offset = (n * channels + c) * spatial;
                ScaleShift(x.Slice(offset, spatial), scale, shift, y.Slice(offset, spatial));
            }
        }
    }

    /// <summary>
    /// Accumulates the gradients of <see cref="Normalize"/>. With <paramref name="batchStatistics"/> the mean and
    /// invStd are functions of x (training mode) and the gradient flows through them:
    /// dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)); otherwise (running statistics, eval mode) dx = γ·invStd·dy.
    /// Always dγ += Σ dy·x̂ and dβ += Σ dy. Empty gradient spans are skipped.
    /// </summary>
    public static void Backward(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma, bool batchStatistics,
        Span<float> gradInput, Span<float> gradGamma, Span<float> gradBeta)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, invStd.Length);
        if (gradOutput.Length != x.Length) throw new ArgumentException($"BatchNorm backward: gradOutput needs {x.Length} elements, got {gradOutput.Length}.");
        if (!gradInput.IsEmpty && gradInput.Length != x.Length) throw new ArgumentException($"BatchNorm backward: gradInput needs {x.Length} elements, got {gradInput.Length}.");
        double count = (double)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            float m = mean[c], s = invStd[c];
            double sumDy = 0, sumDyCentered = 0;
            for (int n = 0; n < batch; n++)
            {
                var dy = Plane(gradOutput, n, c, channels, spatial);
                sumDy += Sum(dy);
                sumDyCentered += DotCentered(dy, Plane(x, n, c, channels, spatial), m);
            }
            double sumDyXhat = sumDyCentered * s;
            if (!gradGamma.IsEmpty) gradGamma[c] += (float)sumDyXhat;
            if (!gradBeta.IsEmpty) gradBeta[c] += (float)sumDy;
            if (gradInput.IsEmpty) continue;

            // dx += a·dy + b·x + k per element, with the per-channel batch terms folded into b and k.
            double a = s * (gamma.IsEmpty ? 1.0 : gamma[c]);
            double b = 0, k = 0;
            if (batchStatistics)
            {
                double meanDyXhat = sumDyXhat / count;
                b = -a * s * meanDyXhat;
                k = a * (s * m * meanDyXhat - sumDy / count);
            }
            for (int n = 0; n < batch; n++)
            {
                int offset = (n * channels + c) * spatial;
                AccumulateAffine(gradOutput.Slice(offset, spatial), x.Slice(offset, spatial), (float)a, (float)b, (float)k, gradInput.Slice(offset, spatial));
            }
        }
    }

    private static ReadOnlySpan<float> Plane(ReadOnlySpan<float> t, int n, int c, int channels, int spatial) =>
        t.Slice((n * channels + c) * spatial, spatial);

    // BatchNorm1d has one-element planes; skip the vector call's setup for them.
    private static float Sum(ReadOnlySpan<float> x) => x.Length == 1 ? x[0] : System.Numerics.Tensors.TensorPrimitives.Sum(x);

    private static double SumSquaredDeviations(ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        float total = 0f;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var m = new Vector<float>(mean);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            foreach (var v in xv) { var d = v - m; acc += d * d; }
            total = Vector.Sum(acc);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) { float d = x[i] - mean; total += d * d; }
        return total;
    }

    /// <summary>Σ dy·(x − mean), centred before multiplying so a large mean does not cancel the signal.</summary>
    private static double DotCentered(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        float total = 0f;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var m = new Vector<float>(mean);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            for (int v = 0; v < xv.Length; v++) acc += gv[v] * (xv[v] - m);
            total = Vector.Sum(acc);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) total += dy[i] * (x[i] - mean);
        return total;
    }

    private static void ScaleShift(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var sv = new Vector<float>(scale);
            var hv = new Vector<float>(shift);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var yv = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int v = 0; v < xv.Length; v++) yv[v] = xv[v] * sv + hv;
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = x[i] * scale + shift;
    }

    private static void AccumulateAffine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float b, float k, Span<float> dx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var av = new Vector<float>(a);
            var bv = new Vector<float>(b);
            var kv = new Vector<float>(k);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(dx);
            for (int v = 0; v < xv.Length; v++) dv[v] += av * gv[v] + bv * xv[v] + kv;
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) dx[i] += a * dy[i] + b * x[i] + k;
    }

    private static void Check(int batch, int channels, int spatial, int xLength, int meanLength, int secondLength)
    {
        if (batch < 1 || channels < 1 || spatial < 1)
            throw new ArgumentException($"BatchNorm: sizes must be >= 1, got N={batch}, C={channels}, spatial={spatial}.");
        if (xLength != batch * channels * spatial)
            throw new ArgumentException($"BatchNorm: input needs {batch * channels * spatial} elements (N={batch}, C={channels}, spatial={spatial}), got {xLength}.");
        if (meanLength != channels || secondLength != channels)
            throw new ArgumentException($"BatchNorm: per-channel vectors need {channels} elements, got {meanLength} and {secondLength}.");
    }
}
