using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    public static Tensor Add(Tensor a, Tensor b)
    {
        RequireSameShape(a, b, "Add");
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Add(a.Data, b.Data, y.Data);
        return Records(a, b) ? Attach(y, new AddNode(a, b)) : y;
    }

    private sealed class AddNode(Tensor a, Tensor b) : Node([a, b])
    {
        public override void Backward(Tensor output)
        {
            var g = output.Grad!.Data;
            foreach (var input in Inputs)
                if (input.RequiresGrad) { var dx = input.GradSpan(); TensorPrimitives.Add(dx, g, dx); }
        }
    }

    public static Tensor Sub(Tensor a, Tensor b)
    {
        RequireSameShape(a, b, "Sub");
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Subtract(a.Data, b.Data, y.Data);
        return Records(a, b) ? Attach(y, new SubNode(a, b)) : y;
    }

    private sealed class SubNode(Tensor a, Tensor b) : Node([a, b])
    {
        public override void Backward(Tensor output)
        {
            var g = output.Grad!.Data;
            if (Inputs[0].RequiresGrad) { var da = Inputs[0].GradSpan(); TensorPrimitives.Add(da, g, da); }
            if (Inputs[1].RequiresGrad) { var db = Inputs[1].GradSpan(); TensorPrimitives.Subtract(db, g, db); }
        }
    }

    public static Tensor Mul(Tensor a, Tensor b)
    {
        RequireSameShape(a, b, "Mul");
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Multiply(a.Data, b.Data, y.Data);
        return Records(a, b) ? Attach(y, new MulNode(a, b)) : y;
    }

    private sealed class MulNode(Tensor a, Tensor b) : Node([a, b])
    {
        public override void Backward(Tensor output)
        {
            var g = output.Grad!.Data;
            // d(a·b)/da = b, d(a·b)/db = a
            if (Inputs[0].RequiresGrad) TensorPrimitives.FusedMultiplyAdd(g, Inputs[1].Data, Inputs[0].GradSpan(), Inputs[0].GradSpan());
            if (Inputs[1].RequiresGrad) TensorPrimitives.FusedMultiplyAdd(g, Inputs[0].Data, Inputs[1].GradSpan(), Inputs[1].GradSpan());
        }
    }

    /// <summary>y = a·scale + shift (elementwise, scalars).</summary>
    public static Tensor Affine(Tensor a, float scale, float shift = 0f)
    {
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Multiply(a.Data, scale, y.Data);
        if (shift != 0f) TensorPrimitives.Add(y.Data, shift, y.Data);
        return Records(a) ? Attach(y, new AffineNode(a, scale)) : y;
    }

    public static Tensor Scale(Tensor a, float scale) => Affine(a, scale);

    public static Tensor Neg(Tensor a) => Affine(a, -1f);

    private sealed class AffineNode(Tensor a, float scale) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var dx = Inputs[0].GradSpan();
            TensorPrimitives.MultiplyAdd(output.Grad!.Data, scale, dx, dx);
        }
    }

    public static Tensor Exp(Tensor a)
    {
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Exp(a.Data, y.Data);
        return Records(a) ? Attach(y, new ExpNode(a, y)) : y;
    }

    private sealed class ExpNode(Tensor a, Tensor y) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var dx = Inputs[0].GradSpan();
            TensorPrimitives.FusedMultiplyAdd(output.Grad!.Data, y.Data, dx, dx);
        }
    }

    public static Tensor Log(Tensor a)
    {
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Log(a.Data, y.Data);
        return Records(a) ? Attach(y, new LogNode(a)) : y;
    }

    private sealed class LogNode(Tensor a) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var g = output.Grad!.Data;
            var x = Inputs[0].Data;
            var dx = Inputs[0].GradSpan();
            for (int i = 0; i < dx.Length; i++) dx[i] += g[i] / x[i];
        }
    }

    public static Tensor Square(Tensor a)
    {
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Multiply(a.Data, a.Data, y.Data);
        return Records(a) ? Attach(y, new SquareNode(a)) : y;
    }

    private sealed class SquareNode(Tensor a) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var g = output.Grad!.Data;
            var x = Inputs[0].Data;
            var dx = Inputs[0].GradSpan();
            for (int i = 0; i < dx.Length; i++) dx[i] += 2f * x[i] * g[i];
        }
    }

    public static Tensor Relu(Tensor a)
    {
        var y = Tensor.CreateOutput(a.Shape);
        TensorPrimitives.Max(a.Data, 0f, y.Data);
        return Records(a) ? Attach(y, new ReluNode(a, y)) : y;
    }

    private sealed class ReluNode(Tensor a, Tensor y) : Node([a])
    {
        public override void Backward(Tensor output) => Kernels.Activations.ReluBackwardAccumulate(y.Data, output.Grad!.Data, Inputs[0].GradSpan());
    }
}
