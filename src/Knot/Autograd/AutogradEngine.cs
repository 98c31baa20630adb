using Knot.Tensors;

namespace Knot.Autograd;

/// <summary>Reverse-mode traversal: topological order by iterative DFS, then each node's backward once.</summary>
internal static class AutogradEngine
{
    private static int s_stamp;
    [ThreadStatic] private static List<Tensor>? t_order;
    [ThreadStatic] private static Stack<(Tensor Tensor, int NextInput)>? t_stack;

    public static void Backward(Tensor root, Tensor? seed)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() called on a tensor that does not require a gradient (no parameter reaches it, or it was computed under NoGrad).");
        if (seed is null && root.Length != 1)
            throw new InvalidOperationException($"Backward() without a seed needs a scalar, got shape {root.Shape}.");
        if (seed is not null && seed.Length != root.Length)
            throw new ArgumentException($"Seed gradient has {seed.Length} elements, the tensor has {root.Length}.", nameof(seed));

        var grad = root.GradSpan();
        if (seed is null) grad[0] += 1f;
        else System.Numerics.Tensors.TensorPrimitives.Add(grad, seed.Data, grad);

        var order = t_order ??= new List<Tensor>();
        var stack = t_stack ??= new Stack<(Tensor, int)>();
        order.Clear();
        int stamp = Interlocked.Increment(ref s_stamp);

        // Post-order DFS: a tensor is emitted after all tensors it depends on.
        root.VisitStamp = stamp;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && child.GradFn is not null && child.VisitStamp != stamp)
                {
                    child.VisitStamp = stamp;
                    stack.Push((child, 0));
                }
                continue;
            }
            order.Add(t);
        }

        // Reverse post-order: every consumer runs before the tensor it consumes.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (t.Grad is null || t.GradFn is null) continue; // nothing flowed here, or a leaf root
            t.GradFn!.Backward(t);
        }
        order.Clear();
    }
}
