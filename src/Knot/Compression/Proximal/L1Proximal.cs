using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Knot.Compression.Proximal;

/// <summary>
/// ℓ1: Ω(w) = λ Σ |w_i|. Its prox is the elementwise soft-threshold w ← sign(w)·max(|w| − μ, 0), μ = η·λ, producing
/// exact (+0) zeros. One vectorised read-modify-write pass.
/// </summary>
public sealed class L1Proximal : IProximalOperator
{
    public L1Proximal(int length, float lambda)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "Length must be >= 1.");
        if (!float.IsFinite(lambda) || lambda <= 0)
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "ℓ1 λ must be finite and > 0.");
        Length = length;
        Lambda = lambda;
    }

    public int Length { get; }
    public float Lambda { get; }

    public void Apply(Span<float> weights, float stepSize)
    {
        CheckLength(weights.Length);
        if (!float.IsFinite(stepSize) || stepSize < 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The prox step size must be finite and >= 0.");
        if (!SoftThreshold(weights, stepSize * Lambda))
            throw new ArgumentException("The weights contain NaN or Inf (they are corrupt; the prox left non-finite entries as they were).", nameof(weights));
    }

    public double Value(ReadOnlySpan<float> weights)
    {
        CheckLength(weights.Length);
        double total = 0;
        foreach (float w in weights) total += MathF.Abs(w);
        return Lambda * total;
    }

    /// <summary>In-place soft-threshold by t ≥ 0; returns false if a non-finite entry was seen (and left unchanged).</summary>
    internal static bool SoftThreshold(Span<float> weights, float t)
    {
        int i = 0;
        bool finite = true;
        if (Vector256.IsHardwareAccelerated && weights.Length >= Vector256<float>.Count)
        {
            ref float start = ref MemoryMarshal.GetReference(weights);
            var threshold = Vector256.Create(t);
            var signBit = Vector256.Create(-0f);
            var bad = Vector256<float>.Zero;
            var infinity = Vector256.Create(float.PositiveInfinity);
            for (; i <= weights.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var abs = Vector256.AndNot(v, signBit);
                var shrunk = Vector256.Max(abs - threshold, Vector256<float>.Zero);
                // Keep the sign only where the result is non-zero, so zeros are +0; keep non-finite inputs unchanged.
                var keepSign = Vector256.GreaterThan(shrunk, Vector256<float>.Zero) & v & signBit;
                var notFinite = ~Vector256.LessThan(abs, infinity); // true for ±Inf and NaN
                bad |= notFinite;
                var result = Vector256.ConditionalSelect(notFinite, v, shrunk | keepSign);
                result.StoreUnsafe(ref start, (nuint)i);
            }
            if (bad != Vector256<float>.Zero) finite = false;
        }
        for (; i < weights.Length; i++) finite &= SoftThresholdScalar(ref weights[i], t);
        return finite;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SoftThresholdScalar(ref float w, float t)
    {
        if (!float.IsFinite(w)) return false;
        float a = MathF.Abs(w) - t;
        w = a > 0 ? (w < 0 ? -a : a) : 0f;
        return true;
    }

    private void CheckLength(int length)
    {
        if (length != Length)
            throw new ArgumentException($"Expected {Length} weights, got {length}.", "weights");
    }
}
