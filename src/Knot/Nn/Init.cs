using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Seeded weight initialisers. Defaults follow PyTorch so that results are comparable.</summary>
public static class Init
{
    public static void Uniform(Span<float> values, float low, float high, KnotRandom rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = low + (high - low) * rng.NextSingle();
    }

    public static void Normal(Span<float> values, float mean, float std, KnotRandom rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(mean + std * rng.NextNormal());
    }

    /// <summary>PyTorch's default for Linear/Conv weights: kaiming_uniform(a=√5) = U(±1/√fan_in).</summary>
    public static void PyTorchDefault(Span<float> weight, int fanIn, KnotRandom rng)
    {
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(weight, -bound, bound, rng);
    }

    /// <summary>He/Kaiming normal (fan_in, ReLU gain): N(0, 2/fan_in).</summary>
    public static void KaimingNormal(Span<float> weight, int fanIn, KnotRandom rng) =>
        Normal(weight, 0f, MathF.Sqrt(2f / Math.Max(1, fanIn)), rng);

    /// <summary>He/Kaiming uniform (fan_in, ReLU gain): U(±√(6/fan_in)).</summary>
    public static void KaimingUniform(Span<float> weight, int fanIn, KnotRandom rng)
    {
        float bound = MathF.Sqrt(6f / Math.Max(1, fanIn));
        Uniform(weight, -bound, bound, rng);
    }

    /// <summary>Glorot/Xavier uniform: U(±√(6/(fan_in+fan_out))).</summary>
    public static void XavierUniform(Span<float> weight, int fanIn, int fanOut, KnotRandom rng)
    {
        float bound = MathF.Sqrt(6f / Math.Max(1, fanIn + fanOut));
        Uniform(weight, -bound, bound, rng);
    }

    /// <summary>Glorot/Xavier normal: N(0, 2/(fan_in+fan_out)).</summary>
    public static void XavierNormal(Span<float> weight, int fanIn, int fanOut, KnotRandom rng) =>
        Normal(weight, 0f, MathF.Sqrt(2f / Math.Max(1, fanIn + fanOut)), rng);
}
