using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// Inverted dropout: in training each element is zeroed with probability p and the survivors are scaled by
    /// 1/(1 − p), so eval mode is the identity (the input itself is returned). The mask is drawn from
    /// <paramref name="rng"/> in element order, so a seeded generator gives the same mask every run.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, KnotRandom rng, bool training)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}.", nameof(p));
        if (!training || p == 0f) return x;

        // The mask holds the factor itself (0 or 1/(1-p)), so forward and backward are one multiply each.
        var mask = TensorArena.Allocate(x.Length, clear: false);
        float keep = p >= 1f ? 0f : 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextSingle() < p ? 0f : keep;
        var y = Tensor.CreateOutput(x.Shape);
        TensorPrimitives.Multiply(x.Data, mask, y.Data);
        return Records(x) ? Attach(y, new DropoutNode(x, mask)) : y;
    }

    private sealed class DropoutNode(Tensor x, float[] mask) : Node([x])
    {
        public override void Backward(Tensor output)
        {
            var dx = x.GradSpan();
            TensorPrimitives.FusedMultiplyAdd(output.Grad!.Data, mask, dx, dx);
        }
    }
}
