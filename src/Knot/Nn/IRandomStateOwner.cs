using Knot.Tensors;

namespace Knot.Nn;

/// <summary>A module that draws random numbers while training (Dropout); its state goes into checkpoints.</summary>
public interface IRandomStateOwner
{
    KnotRandom Random { get; }
}
