namespace Knot.Compression.Proximal;

/// <summary>
/// A non-smooth regulariser Ω applied as a proximal step: weights ← prox_{η·Ω}(weights), i.e. the minimiser of
/// ½‖x − w‖² + η·Ω(x). The trainer calls <see cref="Apply"/> right after <c>optimizer.Step()</c> with η = the learning
/// rate of that step; the operator owns its strengths λ, so the effective threshold is μ = η·λ.
/// Instances own preallocated scratch: Apply allocates nothing, and an instance must not be used from two threads at once.
/// </summary>
public interface IProximalOperator
{
    /// <summary>Number of weights the operator expects.</summary>
    int Length { get; }

    /// <summary>Replaces <paramref name="weights"/> by prox_{stepSize·Ω}(weights) in place. stepSize ≥ 0 and finite.</summary>
    void Apply(Span<float> weights, float stepSize);

    /// <summary>The regulariser's value Ω(weights) with the operator's λ (no step size), for logging.</summary>
    double Value(ReadOnlySpan<float> weights);
}

/// <summary>
/// A proximal operator over the groups of a <see cref="GroupLayout"/> (group Lasso, GrOWL). Groups whose norm falls to
/// ≤ <see cref="DeadThreshold"/> are masked for good: they are zero after this and every later Apply.
/// </summary>
public interface IGroupProximalOperator : IProximalOperator
{
    GroupLayout Layout { get; }

    /// <summary>One flag per group: true once the group is dead (forced to zero on every Apply).</summary>
    ReadOnlySpan<bool> DeadGroups { get; }

    int DeadCount { get; }

    /// <summary>A group whose norm after the prox is ≤ this is killed for good (default 1e-7).</summary>
    float DeadThreshold { get; }

    /// <summary>Replaces the dead mask (e.g. restoring a checkpoint). Length must be the group count.</summary>
    void SetDeadGroups(ReadOnlySpan<bool> dead);
}
