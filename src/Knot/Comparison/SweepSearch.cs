using System.Globalization;

namespace Knot.Comparison;

/// <summary>What a sweep is after: a packed size (bytes, within a relative tolerance), or the smallest file above an accuracy floor.</summary>
public abstract record SweepTarget
{
    public sealed record Bytes(long TargetBytes, double Tolerance = 0.10) : SweepTarget
    {
        public bool Hits(long bytes) => Math.Abs(bytes - TargetBytes) <= Tolerance * TargetBytes;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TargetBytes:N0} bytes ± {Tolerance:P0}");
    }

    public sealed record MinAccuracy(double Accuracy) : SweepTarget
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"test accuracy ≥ {Accuracy:P2} with the smallest file");
    }
}

/// <summary>One measured point: the regularization strength and what its packed model weighs and scores.</summary>
public sealed record SweepMeasurement(long Bytes, double Accuracy);

/// <summary>A point of the walk: its λ, which earlier point it continued from (−1: the start model), the search phase, and its measurement.</summary>
public sealed record SweepStep(int Index, double Lambda, int From, string Phase, SweepMeasurement Measurement);

/// <summary>The walk, the point chosen (the hit, or the closest/best when the target was missed), and whether the target was met.</summary>
public sealed record SweepOutcome(IReadOnlyList<SweepStep> Steps, int Chosen, bool Success, string Message);

/// <summary>The search's knobs: start λ, the bracketing step factor, the point budget and the λ range it may visit.</summary>
public sealed record SweepSearchOptions
{
    public double StartLambda { get; init; } = 1;

    /// <summary>Multiplier between bracketing points (λ grows or shrinks geometrically until the target is bracketed).</summary>
    public double Factor { get; init; } = 3;

    public int MaxPoints { get; init; } = 12;
    public double MinLambda { get; init; } = 1e-6;
    public double MaxLambda { get; init; } = 1e6;

    /// <summary>Accuracy floor mode: stop bisecting when the bracket's λ ratio is below this (the file sizes between are close enough).</summary>
    public double AccuracyResolution { get; init; } = 1.15;

    /// <summary>Two bracketing steps in a row that change the file by less than this (relative) mean the size has saturated.</summary>
    public double StallFraction { get; init; } = 0.005;

    public void Validate()
    {
        if (!(StartLambda > 0) || !double.IsFinite(StartLambda)) throw new ArgumentException($"--lambda-start must be > 0, got {StartLambda}.");
        if (!(Factor > 1) || !double.IsFinite(Factor)) throw new ArgumentException($"--factor must be > 1, got {Factor}.");
        if (MaxPoints < 2) throw new ArgumentException($"--max-points must be >= 2, got {MaxPoints}.");
        if (!(MinLambda > 0 && MinLambda < MaxLambda)) throw new ArgumentException($"The λ range [{MinLambda}, {MaxLambda}] is empty.");
        if (StartLambda < MinLambda || StartLambda > MaxLambda) throw new ArgumentException($"--lambda-start {StartLambda} is outside [{MinLambda}, {MaxLambda}].");
        if (!(AccuracyResolution > 1)) throw new ArgumentException($"AccuracyResolution must be > 1, got {AccuracyResolution}.");
    }
}

/// <summary>
/// Finds a regularization strength λ for a target by measuring points (docs/compare-sweep.md). The packed size falls
/// as λ grows (more zeros), accuracy too. Bracketing: from the start λ, step geometrically (× or ÷ <see
/// cref="SweepSearchOptions.Factor"/>) towards the target, each point continuing from the previous one, until two
/// measured points straddle it. Bisection: the geometric mean of the bracket's ends (bisection in log λ), every point
/// continuing from one anchor (the parent of the last bracketing point), so that the size is a function of λ alone.
/// Stops at a hit, at the point budget, when the bracket collapses (a jump in size no λ in between resolves), or when
/// the size saturates (the target lies beyond what any λ gives).
/// </summary>
public static class SweepSearch
{
    /// <param name="measure">Measures λ continuing from the point with the given index (−1: the start model).</param>
    public static SweepOutcome Run(SweepSearchOptions options, SweepTarget target, Func<double, int, SweepMeasurement> measure)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(measure);
        options.Validate();
        return target switch
        {
            SweepTarget.Bytes b => ForBytes(options, b, measure),
            SweepTarget.MinAccuracy a => ForAccuracy(options, a, measure),
            _ => throw new ArgumentException($"Unknown sweep target {target}."),
        };
    }

    private sealed class Walk(SweepSearchOptions options, Func<double, int, SweepMeasurement> measure)
    {
        public List<SweepStep> Steps { get; } = [];
        public bool Full => Steps.Count >= options.MaxPoints;

        public SweepStep Measure(double lambda, int from, string phase)
        {
            var m = measure(lambda, from);
            var step = new SweepStep(Steps.Count, lambda, from, phase, m);
            Steps.Add(step);
            return step;
        }

        public int Last => Steps.Count - 1;
    }

    private static string L(double lambda) => lambda.ToString("G4", CultureInfo.InvariantCulture);

    private static SweepOutcome ForBytes(SweepSearchOptions o, SweepTarget.Bytes target, Func<double, int, SweepMeasurement> measure)
    {
        var walk = new Walk(o, measure);
        var first = walk.Measure(o.StartLambda, -1, "start");
        if (target.Hits(first.Measurement.Bytes)) return Hit(walk, first, target);

        // Bracket: "large" = file above target (λ too small), "small" = file below target (λ too large).
        SweepStep? large = first.Measurement.Bytes > target.TargetBytes ? first : null, small = large is null ? first : null;
        bool up = large is not null, moved = false;
        int stalls = 0;
        while (large is null || small is null)
        {
            if (walk.Full) return Missed(walk, target, $"no λ within {o.MaxPoints} points brackets the target");
            var previous = walk.Steps[^1];
            double lambda = up ? previous.Lambda * o.Factor : previous.Lambda / o.Factor;
            if (lambda > o.MaxLambda || lambda < o.MinLambda)
                return Missed(walk, target, $"the target is out of reach: λ would leave [{L(o.MinLambda)}, {L(o.MaxLambda)}] while the file is still {(up ? "larger" : "smaller")} than the target");
            var step = walk.Measure(lambda, previous.Index, "bracket");
            if (target.Hits(step.Measurement.Bytes)) return Hit(walk, step, target);
            // Saturation counts only once the size has moved: the plateau at small λ (nothing zeroed yet) is the start of the curve, not its end.
            long change = Math.Abs(step.Measurement.Bytes - previous.Measurement.Bytes);
            bool still = change <= o.StallFraction * previous.Measurement.Bytes;
            moved |= !still;
            stalls = still && moved ? stalls + 1 : 0;
            if (step.Measurement.Bytes > target.TargetBytes) large = step; else small = step;
            if (stalls >= 2 && (large is null || small is null))
                return Missed(walk, target, string.Create(CultureInfo.InvariantCulture,
                    $"the target is out of reach: the packed size stays at ≈ {step.Measurement.Bytes:N0} bytes as λ {(up ? "grows" : "shrinks")} (λ = {L(step.Lambda)})"));
        }

        // Bisect in log λ on one function: f(λ) = the anchor's weights trained at λ. Continuing each bisection point from the
        // same anchor (not from the previous point, which carries more epochs of shrinkage) keeps the size a function of λ
        // alone; otherwise the extra epochs shrink every later point and the bisection chases a moving target.
        var last = walk.Steps[^1];
        var anchor = walk.Steps[last.From];
        if (ReferenceEquals(small, last))
        {
            // Walking up: the small end is f(λ_small) already; f at the anchor's own λ is not (the anchor is its own
            // parent's child), so measure it. More epochs only shrink the file, so it may now be small too: walk down.
            var again = walk.Measure(anchor.Lambda, anchor.Index, "anchor");
            if (target.Hits(again.Measurement.Bytes)) return Hit(walk, again, target);
            if (again.Measurement.Bytes > target.TargetBytes) large = again;
            else
            {
                small = again;
                large = null;
                while (large is null)
                {
                    if (walk.Full) return Missed(walk, target, $"the point budget ({o.MaxPoints}) ran out while bracketing from the anchor");
                    double lambda = walk.Steps[^1].Lambda / o.Factor;
                    if (lambda < o.MinLambda) return Missed(walk, target, "the target is out of reach from the anchor point");
                    var step = walk.Measure(lambda, anchor.Index, "bracket");
                    if (target.Hits(step.Measurement.Bytes)) return Hit(walk, step, target);
                    if (step.Measurement.Bytes > target.TargetBytes) large = step; else small = step;
                }
            }
        }
        // Walking down, the large end is f(λ_large) and the small end (the anchor) is below the target, and f(λ_small)
        // only smaller: the bracket holds as it is.
        while (true)
        {
            if (walk.Full) return Missed(walk, target, $"the point budget ({o.MaxPoints}) ran out while bisecting");
            double lo = large.Lambda, hi = small.Lambda;
            if (lo >= hi)
                return Missed(walk, target, string.Create(CultureInfo.InvariantCulture,
                    $"the size is not monotone in λ here (λ = {L(lo)} gave {large.Measurement.Bytes:N0} bytes, λ = {L(hi)} gave {small.Measurement.Bytes:N0})"));
            if (hi / lo < 1.001)
                return Missed(walk, target, string.Create(CultureInfo.InvariantCulture,
                    $"the size jumps from {large.Measurement.Bytes:N0} to {small.Measurement.Bytes:N0} bytes between λ = {L(lo)} and {L(hi)}; no λ in between gives the target"));
            var step = walk.Measure(Math.Sqrt(lo * hi), anchor.Index, "bisect");
            if (target.Hits(step.Measurement.Bytes)) return Hit(walk, step, target);
            if (step.Measurement.Bytes > target.TargetBytes) large = step; else small = step;
        }
    }

    private static SweepOutcome Hit(Walk walk, SweepStep step, SweepTarget.Bytes target) =>
        new(walk.Steps, step.Index, true, string.Create(CultureInfo.InvariantCulture,
            $"λ = {L(step.Lambda)} gives {step.Measurement.Bytes:N0} bytes ({(step.Measurement.Bytes - target.TargetBytes) * 100.0 / target.TargetBytes:+0.0;-0.0}% from {target.TargetBytes:N0}) after {walk.Steps.Count} points"));

    private static SweepOutcome Missed(Walk walk, SweepTarget.Bytes target, string why)
    {
        var closest = walk.Steps.MinBy(s => Math.Abs(Math.Log((double)Math.Max(1, s.Measurement.Bytes) / target.TargetBytes)))!;
        return new SweepOutcome(walk.Steps, closest.Index, false, string.Create(CultureInfo.InvariantCulture,
            $"target {target} not reached: {why}; closest point λ = {L(closest.Lambda)} with {closest.Measurement.Bytes:N0} bytes"));
    }

    private static SweepOutcome ForAccuracy(SweepSearchOptions o, SweepTarget.MinAccuracy target, Func<double, int, SweepMeasurement> measure)
    {
        var walk = new Walk(o, measure);
        bool Passes(SweepStep s) => s.Measurement.Accuracy >= target.Accuracy;
        var first = walk.Measure(o.StartLambda, -1, "start");
        // Bracket: "pass" = accuracy at or above the floor (λ small enough), "fail" = below it.
        SweepStep? pass = Passes(first) ? first : null, fail = pass is null ? first : null;
        bool up = pass is not null, moved = false;
        int stalls = 0;
        while (pass is null || fail is null)
        {
            var previous = walk.Steps[^1];
            double lambda = up ? previous.Lambda * o.Factor : previous.Lambda / o.Factor;
            if (walk.Full || lambda > o.MaxLambda || lambda < o.MinLambda)
                return up ? Best(walk, target, "the floor held up to the largest λ tried") : NoPass(walk, target, walk.Full ? $"the point budget ({o.MaxPoints}) ran out" : "λ left its range");
            var step = walk.Measure(lambda, previous.Index, "bracket");
            if (Passes(step)) pass = step; else fail = step;
            long change = Math.Abs(step.Measurement.Bytes - previous.Measurement.Bytes);
            bool still = change <= o.StallFraction * previous.Measurement.Bytes;
            moved |= !still;
            stalls = still && moved ? stalls + 1 : 0;
            if (stalls >= 2 && (pass is null || fail is null))
                return up ? Best(walk, target, "the file stopped shrinking as λ grew") : NoPass(walk, target, "the file stopped growing as λ shrank");
        }
        var anchor = walk.Steps[Math.Max(0, walk.Steps[^1].From)]; // one parent for every refinement point, as for sizes
        while (!walk.Full && fail.Lambda / pass.Lambda > o.AccuracyResolution)
        {
            if (pass.Lambda >= fail.Lambda) break; // not monotone: keep the best passing point found
            var step = walk.Measure(Math.Sqrt(pass.Lambda * fail.Lambda), anchor.Index, "bisect");
            if (Passes(step)) pass = step; else fail = step;
        }
        return Best(walk, target, walk.Full ? $"the point budget ({o.MaxPoints}) ended the refinement" : "the bracket is narrow enough");
    }

    private static SweepOutcome Best(Walk walk, SweepTarget.MinAccuracy target, string why)
    {
        var best = walk.Steps.Where(s => s.Measurement.Accuracy >= target.Accuracy)
            .OrderBy(s => s.Measurement.Bytes).ThenByDescending(s => s.Measurement.Accuracy).First();
        return new SweepOutcome(walk.Steps, best.Index, true, string.Create(CultureInfo.InvariantCulture,
            $"smallest file at {target}: λ = {L(best.Lambda)}, {best.Measurement.Bytes:N0} bytes, accuracy {best.Measurement.Accuracy:P2} ({why}, {walk.Steps.Count} points)"));
    }

    private static SweepOutcome NoPass(Walk walk, SweepTarget.MinAccuracy target, string why)
    {
        var best = walk.Steps.MaxBy(s => s.Measurement.Accuracy)!;
        return new SweepOutcome(walk.Steps, best.Index, false, string.Create(CultureInfo.InvariantCulture,
            $"target {target} not reached: no point reached the floor ({why}); most accurate λ = {L(best.Lambda)} at {best.Measurement.Accuracy:P2}"));
    }
}
