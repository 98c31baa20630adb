using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Knot.Compression.SoftSharing;

/// <summary>
/// The data term of the soft weight-sharing prior over a span of weights: Σ_i log Σ_j π_j N(w_i | μ_j, 1/λ_j),
/// the gradient with respect to each weight (accumulated, scaled) and the sufficient statistics S0, S1, S2 from
/// which the gradients of every prior parameter follow (see <see cref="MixtureKernelWorkspace.Statistics"/>).
/// </summary>
/// <remarks>
/// Per weight the log-sum-exp runs over the J + 1 components with the maximum term subtracted, so a weight far
/// from every component gives a large finite loss and a responsibility of 1 on its nearest (in the λ-weighted
/// sense) component instead of 0/0. It stays finite while |w − μ|·√λ is below about 1e19.
/// The vector path works on 8 weights per Vector256 in float. Its per-component sums are collected in float
/// lanes for <see cref="FlushInterval"/> vectors only and then added into double, so the totals over ~10⁵–10⁶
/// weights keep double accuracy while the inner loop stays in registers and L1.
/// </remarks>
internal static class MixtureLogLikelihoodKernel
{
    /// <summary>Vectors (of 8 weights) summed in float before the block sums move into double.</summary>
    internal const int FlushInterval = 64;

    /// <summary>log of the smallest responsibility ratio (to the largest term) that the vector path keeps.</summary>
    internal const float NegligibleLogRatio = -64f;

    private const double HalfLog2Pi = 0.91893853320467274178;

    /// <summary>Fills the workspace's per-component constants from double-precision parameters.</summary>
    public static void Prepare(MixtureKernelWorkspace ws)
    {
        for (int j = 0; j < ws.ComponentCount; j++)
        {
            double s = ws.LogPrecisionsD[j];
            double lambda = Math.Exp(s);
            ws.Means[j] = Vector256.Create((float)ws.MeansD[j]);
            ws.Precisions[j] = Vector256.Create((float)lambda);
            ws.NegHalfPrecisions[j] = Vector256.Create((float)(-0.5 * lambda));
            ws.LogWeights[j] = Vector256.Create((float)(ws.LogMixingD[j] + 0.5 * s - HalfLog2Pi));
        }
    }

    /// <summary>
    /// Adds Σ_i log p(w_i) (returned), scale·d(−log p)/dw_i into <paramref name="weightGrad"/> and the statistics
    /// into <see cref="MixtureKernelWorkspace.Statistics"/> (added to what is there). Picks the vector path when
    /// Vector256 is accelerated.
    /// </summary>
    public static double Accumulate(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale, MixtureKernelWorkspace ws) =>
        Vector256.IsHardwareAccelerated
            ? AccumulateVector(weights, weightGrad, scale, ws)
            : AccumulateScalar(weights, weightGrad, scale, ws);

    /// <summary>Vector256 path (float lanes, double block totals).</summary>
    internal static double AccumulateVector(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale, MixtureKernelWorkspace ws)
    {
        int n = weights.Length;
        int k = ws.ComponentCount;
        Array.Clear(ws.Accumulators);
        var lossAcc = Vector256<float>.Zero;
        double logLik = 0;
        var vscale = Vector256.Create(scale);
        ref float w0 = ref MemoryMarshal.GetReference(weights);
        ref float g0 = ref MemoryMarshal.GetReference(weightGrad);

        int i = 0, inBlock = 0;
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
        {
            var x = Vector256.LoadUnsafe(ref w0, (nuint)i);
            var gw = Step(x, Vector256<float>.AllBitsSet, ws, k, out var ll);
            var g = Vector256.LoadUnsafe(ref g0, (nuint)i);
            Vector256.FusedMultiplyAdd(gw, vscale, g).StoreUnsafe(ref g0, (nuint)i);
            lossAcc += ll;
            if (++inBlock == FlushInterval)
            {
                logLik += Flush(ws, k, ref lossAcc);
                inBlock = 0;
            }
        }

        int rest = n - i;
        if (rest > 0)
        {
            // Pad the tail with zeros (any finite value works) and mask the padded lanes out of every sum.
            Span<float> tail = stackalloc float[Vector256<float>.Count];
            Span<int> maskBits = stackalloc int[Vector256<float>.Count];
            tail.Clear();
            maskBits.Clear();
            weights[i..].CopyTo(tail);
            maskBits[..rest].Fill(-1);
            var mask = Vector256.Create<int>(maskBits).AsSingle();
            var gw = Step(Vector256.Create<float>(tail), mask, ws, k, out var ll);
            lossAcc += ll;
            for (int t = 0; t < rest; t++) weightGrad[i + t] = MathF.FusedMultiplyAdd(gw.GetElement(t), scale, weightGrad[i + t]);
        }

        logLik += Flush(ws, k, ref lossAcc);
        return logLik;
    }

    /// <summary>
    /// One vector of 8 weights: returns Σ_j r_j λ_j (w − μ_j) (the weight gradient of −log p) and the per-lane
    /// log p(w) in <paramref name="logLik"/>; adds r, r·d, r·d² into the block accumulators. Lanes outside
    /// <paramref name="mask"/> contribute nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> x, Vector256<float> mask, MixtureKernelWorkspace ws, int k, out Vector256<float> logLik)
    {
        ref var mu = ref MemoryMarshal.GetArrayDataReference(ws.Means);
        ref var nhl = ref MemoryMarshal.GetArrayDataReference(ws.NegHalfPrecisions);
        ref var lam = ref MemoryMarshal.GetArrayDataReference(ws.Precisions);
        ref var lw = ref MemoryMarshal.GetArrayDataReference(ws.LogWeights);
        ref var terms = ref MemoryMarshal.GetArrayDataReference(ws.Terms);
        ref var acc = ref MemoryMarshal.GetArrayDataReference(ws.Accumulators);

        // Pass 1: log(π_j N(x | μ_j, 1/λ_j)) and their maximum.
        var max = Vector256.Create(float.NegativeInfinity);
        for (int j = 0; j < k; j++)
        {
            var d = x - Unsafe.Add(ref mu, j);
            var t = Vector256.FusedMultiplyAdd(Unsafe.Add(ref nhl, j) * d, d, Unsafe.Add(ref lw, j));
            Unsafe.Add(ref terms, j) = t;
            max = Vector256.Max(max, t);
        }

        // Pass 2: exp(term − max) ∈ (0, 1], the largest exactly 1, so the sum is in [1, J + 1].
        // A relative weight below e^-64 ≈ 1.6e-28 is set to exactly 0: it is far below float resolution of the
        // sum, and keeping it would make r·d and r·d² subnormal, which costs ~100 cycles each on x86 without
        // flush-to-zero (measured: σ = 0.02 ran 1.8x slower with them). Components far from all 8 weights (common
        // once the precisions have grown) skip their exp here and their pass-3 work below.
        var sum = Vector256<float>.Zero;
        var cutoff = Vector256.Create(NegligibleLogRatio);
        for (int j = 0; j < k; j++)
        {
            var diff = Unsafe.Add(ref terms, j) - max;
            var negligible = Vector256.LessThan(diff, cutoff);
            if (negligible == Vector256<float>.AllBitsSet)
            {
                Unsafe.Add(ref terms, j) = Vector256<float>.Zero;
                continue;
            }

            var e = Vector256.AndNot(ExpNonPositive(diff), negligible);
            Unsafe.Add(ref terms, j) = e;
            sum += e;
        }

        logLik = (max + Vector256.Log(sum)) & mask;
        var inv = (Vector256<float>.One / sum) & mask;

        // Pass 3: responsibilities r_j and everything that is linear in them.
        var gw = Vector256<float>.Zero;
        for (int j = 0; j < k; j++)
        {
            var e = Unsafe.Add(ref terms, j);
            if (e == Vector256<float>.Zero) continue;
            var r = e * inv;
            var d = x - Unsafe.Add(ref mu, j);
            var rd = r * d;
            gw = Vector256.FusedMultiplyAdd(rd, Unsafe.Add(ref lam, j), gw);
            Unsafe.Add(ref acc, j) += r;
            Unsafe.Add(ref acc, k + j) += rd;
            Unsafe.Add(ref acc, 2 * k + j) = Vector256.FusedMultiplyAdd(rd, d, Unsafe.Add(ref acc, 2 * k + j));
        }

        return gw;
    }

    /// <summary>
    /// e^x for x ≤ 0 (what log-sum-exp with the maximum subtracted needs), about 1 ulp: x = n·ln 2 + r with
    /// |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r (Cephes expf coefficients) and 2^n put into the exponent
    /// bits. x below −87.3 (where e^x leaves the normal floats) gives exactly 0, and so does −∞.
    /// Vector256.Exp is slower here because it widens float to double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpNonPositive(Vector256<float> x)
    {
        var underflow = Vector256.LessThan(x, Vector256.Create(-87.3f));
        x = Vector256.Max(x, Vector256.Create(-87.3f));
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var pow2 = ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();
        return Vector256.AndNot(p * pow2, underflow);
    }

    /// <summary>Moves the float block sums into the double statistics and returns the block's log-likelihood.</summary>
    private static double Flush(MixtureKernelWorkspace ws, int k, ref Vector256<float> lossAcc)
    {
        var acc = ws.Accumulators;
        var stats = ws.Statistics;
        for (int q = 0; q < 3 * k; q++)
        {
            var (lo, hi) = Vector256.Widen(acc[q]);
            stats[q] += Vector256.Sum(lo + hi);
            acc[q] = Vector256<float>.Zero;
        }

        var (llo, lhi) = Vector256.Widen(lossAcc);
        lossAcc = Vector256<float>.Zero;
        return Vector256.Sum(llo + lhi);
    }

    /// <summary>
    /// Scalar path, all in double: the fallback where Vector256 is not accelerated and the reference the vector
    /// path is tested against. Same contract as <see cref="AccumulateVector"/>.
    /// </summary>
    internal static double AccumulateScalar(ReadOnlySpan<float> weights, Span<float> weightGrad, float scale, MixtureKernelWorkspace ws)
    {
        int k = ws.ComponentCount;
        var mu = ws.MeansD;
        var s = ws.LogPrecisionsD;
        var logPi = ws.LogMixingD;
        var stats = ws.Statistics;
        Span<double> lambda = stackalloc double[k];
        Span<double> c = stackalloc double[k];
        Span<double> terms = stackalloc double[k];
        for (int j = 0; j < k; j++)
        {
            lambda[j] = Math.Exp(s[j]);
            c[j] = logPi[j] + 0.5 * s[j] - HalfLog2Pi;
        }

        double logLik = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            double x = weights[i];
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                double d = x - mu[j];
                terms[j] = c[j] - 0.5 * lambda[j] * d * d;
                max = Math.Max(max, terms[j]);
            }

            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                terms[j] = Math.Exp(terms[j] - max);
                sum += terms[j];
            }

            logLik += max + Math.Log(sum);
            double gw = 0;
            for (int j = 0; j < k; j++)
            {
                double r = terms[j] / sum;
                double d = x - mu[j];
                gw += r * lambda[j] * d;
                stats[j] += r;
                stats[k + j] += r * d;
                stats[2 * k + j] += r * d * d;
            }

            weightGrad[i] += (float)(scale * gw);
        }

        return logLik;
    }
}
