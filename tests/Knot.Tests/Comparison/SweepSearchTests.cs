using Knot.Comparison;

namespace Knot.Tests.Comparison;

/// <summary>The sweep's bracketing and bisection against synthetic, monotone size(λ) and accuracy(λ) curves.</summary>
public sealed class SweepSearchTests
{
    /// <summary>A smooth monotone file size: ≈ 1 MB at small λ, falling to a floor of 20 kB.</summary>
    private static long Size(double lambda) => 20_000 + (long)(1_000_000 / (1 + Math.Pow(lambda / 10, 2)));

    private static SweepMeasurement Measure(double lambda) => new(Size(lambda), 0.99 - 0.002 * lambda);

    [Theory]
    [InlineData(1.0, 100_000)]
    [InlineData(1.0, 400_000)]
    [InlineData(300.0, 100_000)]   // start on the small side: walks down
    [InlineData(0.001, 50_000)]    // far away: many bracketing steps
    [InlineData(30.0, 900_000)]
    public void HitsTheTargetWithinTenPercent(double start, long targetBytes)
    {
        var target = new SweepTarget.Bytes(targetBytes);
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = start, MaxPoints = 30 }, target, (l, _) => Measure(l));
        Assert.True(outcome.Success, outcome.Message);
        var chosen = outcome.Steps[outcome.Chosen];
        Assert.InRange(chosen.Measurement.Bytes, targetBytes * 0.9, targetBytes * 1.1);
        Assert.Equal(outcome.Steps.Count - 1, outcome.Chosen); // it stops at the first hit
        Assert.Contains("λ =", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BracketsGeometricallyThenBisectsInLogLambdaFromTheLowEnd()
    {
        var target = new SweepTarget.Bytes(100_000, 0.01); // tight, so bisection has work to do
        var seen = new List<(double Lambda, int From)>();
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, Factor = 3, MaxPoints = 40 }, target, (l, from) => { seen.Add((l, from)); return Measure(l); });
        Assert.True(outcome.Success, outcome.Message);
        var steps = outcome.Steps;
        Assert.Equal("start", steps[0].Phase);
        Assert.Equal(-1, steps[0].From);
        int anchorStep = steps.ToList().FindIndex(s => s.Phase == "anchor");
        Assert.True(anchorStep > 1);
        for (int i = 1; i < anchorStep; i++)
        {
            Assert.Equal("bracket", steps[i].Phase);
            Assert.Equal(steps[i - 1].Lambda * 3, steps[i].Lambda, 9); // up: the file was too large
            Assert.Equal(i - 1, steps[i].From);                       // continues from the previous point
        }
        var lo = steps[anchorStep - 2];
        var hi = steps[anchorStep - 1];
        Assert.True(lo.Measurement.Bytes > target.TargetBytes && hi.Measurement.Bytes < target.TargetBytes);
        Assert.Equal(lo.Index, hi.From);
        // The anchor (the high end's parent) is measured again at its own λ, continuing from itself: one function f(λ) from one start.
        Assert.Equal(lo.Lambda, steps[anchorStep].Lambda);
        Assert.Equal(lo.Index, steps[anchorStep].From);
        // Bisection: the geometric mean of the bracket, every point continuing from the anchor, each inside the bracket it halves.
        int firstBisect = anchorStep + 1;
        Assert.Equal("bisect", steps[firstBisect].Phase);
        Assert.Equal(Math.Sqrt(lo.Lambda * hi.Lambda), steps[firstBisect].Lambda, 9);
        foreach (var s in steps.Skip(firstBisect))
        {
            Assert.Equal(lo.Index, s.From);
            Assert.InRange(s.Lambda, lo.Lambda, hi.Lambda);
        }
        Assert.Equal(seen.Count, steps.Count);
    }

    [Fact]
    public void ConvergesWhenEveryContinuedEpochShrinksTheFileFurther()
    {
        // Path dependence like real warm-started training: a point's dose is its parent's dose plus λ; the size falls with the dose.
        var dose = new List<double>();
        var target = new SweepTarget.Bytes(100_000);
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, Factor = 3, MaxPoints = 12 }, target, (l, from) =>
        {
            double d = (from < 0 ? 0 : dose[from]) + l;
            dose.Add(d);
            return new SweepMeasurement(Size(d), 0.9);
        });
        Assert.True(outcome.Success, outcome.Message);
        Assert.InRange(outcome.Steps[outcome.Chosen].Measurement.Bytes, 90_000, 110_000);
    }

    [Fact]
    public void RespectsTheMaximumNumberOfPoints()
    {
        int calls = 0;
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 0.5, Factor = 2, MaxPoints = 5 },
            new SweepTarget.Bytes(30_000, 0.001), (l, _) => { calls++; return Measure(l); });
        Assert.False(outcome.Success);
        Assert.Equal(5, calls);
        Assert.Equal(5, outcome.Steps.Count);
        Assert.Contains("not reached", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("5 points", outcome.Message, StringComparison.Ordinal);
        // The closest point is offered: here the last, largest λ.
        Assert.Equal(4, outcome.Chosen);
    }

    [Fact]
    public void ReportsAnUnreachablySmallTargetClearly()
    {
        // The floor is 20 kB: 10 kB cannot be hit, the size saturates as λ grows.
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, MaxPoints = 30 }, new SweepTarget.Bytes(10_000), (l, _) => Measure(l));
        Assert.False(outcome.Success);
        Assert.Contains("out of reach", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("10,000 bytes", outcome.Message, StringComparison.Ordinal);
        Assert.True(outcome.Steps.Count < 30, "saturation must stop the walk before the budget");
        Assert.Equal(outcome.Steps.MinBy(s => s.Measurement.Bytes)!.Index, outcome.Chosen);
    }

    [Fact]
    public void ReportsAnUnreachablyLargeTargetClearly()
    {
        // Nothing is larger than ≈ 1.02 MB (λ → 0): 5 MB is out of reach, and λ leaves its range or the size saturates.
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 10, MaxPoints = 40, MinLambda = 1e-3 }, new SweepTarget.Bytes(5_000_000), (l, _) => Measure(l));
        Assert.False(outcome.Success);
        Assert.Contains("out of reach", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJumpThatNoLambdaResolvesIsReported()
    {
        // A cliff: 1 MB below λ = 7, 10 kB above. A 100 kB target sits in the gap.
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, MaxPoints = 60 }, new SweepTarget.Bytes(100_000),
            (l, _) => new SweepMeasurement(l < 7 ? 1_000_000 : 10_000, 0.9));
        Assert.False(outcome.Success);
        Assert.Contains("jumps from 1,000,000 to 10,000 bytes", outcome.Message, StringComparison.Ordinal);
        Assert.True(outcome.Steps.Count < 60);
    }

    [Fact]
    public void AccuracyFloorChoosesTheSmallestFileAboveIt()
    {
        // Accuracy 0.99 − 0.002 λ: the floor 0.95 holds up to λ = 20.
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, MaxPoints = 20 }, new SweepTarget.MinAccuracy(0.95), (l, _) => Measure(l));
        Assert.True(outcome.Success, outcome.Message);
        var chosen = outcome.Steps[outcome.Chosen];
        Assert.True(chosen.Measurement.Accuracy >= 0.95);
        Assert.All(outcome.Steps.Where(s => s.Measurement.Accuracy >= 0.95), s => Assert.True(s.Measurement.Bytes >= chosen.Measurement.Bytes));
        Assert.InRange(chosen.Lambda, 20 / 1.15, 20); // refined until the bracket is narrower than the resolution
    }

    [Fact]
    public void AnAccuracyFloorNoPointReachesFails()
    {
        var outcome = SweepSearch.Run(new SweepSearchOptions { StartLambda = 1, MaxPoints = 8 }, new SweepTarget.MinAccuracy(0.999), (l, _) => Measure(l));
        Assert.False(outcome.Success);
        Assert.Contains("no point reached the floor", outcome.Message, StringComparison.Ordinal);
        Assert.True(outcome.Steps.Count <= 8);
    }

    [Theory]
    [InlineData(0.0, 3.0, 12)]
    [InlineData(1.0, 1.0, 12)]
    [InlineData(1.0, 3.0, 1)]
    public void BadOptionsAreRejected(double start, double factor, int maxPoints)
    {
        Assert.Throws<ArgumentException>(() => SweepSearch.Run(new SweepSearchOptions { StartLambda = start, Factor = factor, MaxPoints = maxPoints },
            new SweepTarget.Bytes(1000), (l, _) => Measure(l)));
    }
}
