using Knot.Autograd.Ops;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Models;

/// <summary>
/// Pre-activation wide-ResNet block (Zagoruyko &amp; Komodakis): BN → ReLU → conv3×3(stride) → BN → ReLU → conv3×3,
/// plus the identity, or a 1×1 strided conv of the activated input when the shape changes. No dropout.
/// </summary>
public sealed class WideResidualBlock : Module
{
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly Conv2d _conv1, _conv2;
    private readonly Conv2d? _shortcut;

    public WideResidualBlock(int inChannels, int outChannels, int stride, KnotRandom rng)
    {
        _bn1 = AddModule("bn1", new BatchNorm2d(inChannels));
        _conv1 = AddModule("conv1", new Conv2d(inChannels, outChannels, 3, stride, 1, false, rng));
        _bn2 = AddModule("bn2", new BatchNorm2d(outChannels));
        _conv2 = AddModule("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1, false, rng));
        if (inChannels != outChannels || stride != 1)
            _shortcut = AddModule("shortcut", new Conv2d(inChannels, outChannels, 1, stride, 0, false, rng));
    }

    public override Tensor Forward(Tensor input)
    {
        var activated = Op.Relu(_bn1.Forward(input));
        var h = _conv1.Forward(activated);
        h = _conv2.Forward(Op.Relu(_bn2.Forward(h)));
        var identity = _shortcut is null ? input : _shortcut.Forward(activated);
        return Op.Add(h, identity);
    }
}
