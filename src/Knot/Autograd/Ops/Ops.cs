using Knot.Tensors;

namespace Knot.Autograd.Ops;

/// <summary>
/// The differentiable primitives. Each op file keeps its forward and backward next to each other; every op
/// records a node only when gradients are enabled and some input requires one.
/// </summary>
public static partial class Op
{
    internal static bool Records(Tensor a) => a.RequiresGrad && GradMode.IsEnabled;

    internal static bool Records(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && GradMode.IsEnabled;

    internal static bool Records(Tensor a, Tensor b, Tensor? c) =>
        (a.RequiresGrad || b.RequiresGrad || (c?.RequiresGrad ?? false)) && GradMode.IsEnabled;

    internal static Tensor Attach(Tensor output, Node node)
    {
        output.GradFn = node;
        output.RequiresGrad = true;
        return output;
    }

    internal static void RequireSameShape(Tensor a, Tensor b, string op)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{op}: operands must have the same shape, got {a.Shape} and {b.Shape}.");
    }

    internal static void RequireRank(Tensor a, int rank, string op, string what)
    {
        if (a.Rank != rank)
            throw new ArgumentException($"{op}: {what} must have rank {rank}, got shape {a.Shape}.");
    }
}
