using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// Inverted dropout (zero with probability p, scale survivors by 1/(1 − p)); the identity in eval mode. The layer
/// owns its generator, so its masks do not depend on what other layers draw; save and restore
/// <see cref="Generator"/>'s state to resume a run bit for bit.
/// </summary>
public sealed class Dropout : Module, IRandomStateOwner
{
    public Dropout(float p, ulong seed)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}.", nameof(p));
        P = p;
        Generator = new KnotRandom(seed);
    }

    /// <summary>Seeds the layer's own generator from <paramref name="rng"/> (one draw), like the other layers take an rng.</summary>
    public Dropout(float p, KnotRandom rng) : this(p, (rng ?? throw new ArgumentNullException(nameof(rng))).NextUInt64())
    {
    }

    public float P { get; }
    public KnotRandom Generator { get; }

    KnotRandom IRandomStateOwner.Random => Generator;

    public override Tensor Forward(Tensor input) => Op.Dropout(input, P, Generator, IsTraining);
}
