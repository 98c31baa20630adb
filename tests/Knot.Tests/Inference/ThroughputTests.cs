using Knot.Inference;
using Knot.Tensors;
using Knot.Tests.Training;

namespace Knot.Tests.Inference;

public sealed class ThroughputTests
{
    [Fact]
    public void InterleavesThePassesAndWarmsEachForwardUp()
    {
        var data = SyntheticData.Create(40, height: 4, width: 4, seed: 1);
        var calls = new List<char>();
        Func<Tensor, Tensor> Recording(char name) => x => { calls.Add(name); return x; };
        var rates = CompressedEvaluator.Throughputs([Recording('a'), Recording('b')], data, batchSize: 20, repeats: 2);
        Assert.Equal(2, rates.Length);
        Assert.All(rates, r => Assert.True(r > 0 && double.IsFinite(r)));
        // One warm-up pass and two timed passes each, two batches a pass, alternating pass by pass.
        Assert.Equal("aabbaabbaabb", new string(calls.ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressedEvaluator.Throughputs([Recording('a')], data, 20, repeats: 0));
    }
}
