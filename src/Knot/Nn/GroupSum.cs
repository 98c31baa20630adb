using Knot.Autograd.Ops;
using Knot.Tensors;

namespace Knot.Nn;

/// <summary>Sums inputs (features or channels) into groups; label −1 drops an input. See <see cref="Op.GroupSum"/>.</summary>
public sealed class GroupSum : Module
{
    private readonly int[] _labels;

    public GroupSum(int[] labels, int groupCount)
    {
        if (groupCount < 0) throw new ArgumentException($"GroupSum: group count must be >= 0, got {groupCount}.");
        foreach (var l in labels)
            if (l < -1 || l >= groupCount) throw new ArgumentException($"GroupSum: label {l} is outside [-1, {groupCount}).");
        _labels = (int[])labels.Clone();
        GroupCount = groupCount;
    }

    public ReadOnlySpan<int> Labels => _labels;
    public int Inputs => _labels.Length;
    public int GroupCount { get; }

    public override Tensor Forward(Tensor input) => Op.GroupSum(input, _labels, GroupCount);
}
