using Knot.Compression.Tying;
using Knot.Nn;

namespace Knot.Compression.Growl;

/// <summary>
/// Keeps a weight's input groups as GrOWL found them: dead groups stay exactly zero and every cluster of tied
/// groups trains as one shared vector. Before the step each member's gradient becomes the cluster's summed
/// gradient (the gradient of the shared vector); after the step the cluster mean is written back, which
/// only removes float rounding drift since all members received identical updates.
/// </summary>
public sealed class TieConstraint(TieMap map) : IParameterConstraint
{
    public TieMap Map { get; } = map;

    public void TransformGradient(Parameter parameter) => Map.TieGradients(parameter.Grad.Data);

    public void Enforce(Parameter parameter) => Map.Enforce(parameter.Value.Data);
}
