using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// Knowledge-distillation loss (Hinton et al. 2015): T² · mean over rows of KL(softmax(teacher / T) ‖ softmax(student / T)).
    /// The T² keeps the soft targets' gradient on the scale of the hard loss's as T changes. The teacher's logits are
    /// constants; the gradient w.r.t. the student's is T · (softmax(student / T) − softmax(teacher / T)) / B. Zero when
    /// the two agree, so the value reads as "how far the student is from the teacher".
    /// </summary>
    public static Tensor Distillation(Tensor studentLogits, Tensor teacherLogits, float temperature)
    {
        RequireRank(studentLogits, 2, "Distillation", "student logits");
        if (teacherLogits.Shape != studentLogits.Shape)
            throw new ArgumentException($"Distillation: teacher logits {teacherLogits.Shape} differ from the student's {studentLogits.Shape}.");
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Distillation temperature must be a positive number.");
        int batch = studentLogits.Shape[0], classes = studentLogits.Shape[1];
        if (batch == 0) throw new ArgumentException("Distillation: empty batch.");

        var student = Tensor.CreateOutput(studentLogits.Shape); // softmax(student / T), kept for backward
        var teacher = Tensor.CreateOutput(studentLogits.Shape); // softmax(teacher / T)
        double total = 0, inverse = 1.0 / temperature;
        for (int r = 0; r < batch; r++)
        {
            var s = studentLogits.Data.AsSpan(r * classes, classes);
            var t = teacherLogits.Data.AsSpan(r * classes, classes);
            double lseS = LogSumExp(s, inverse), lseT = LogSumExp(t, inverse);
            for (int c = 0; c < classes; c++)
            {
                double logQ = s[c] * inverse - lseS, logP = t[c] * inverse - lseT, p = Math.Exp(logP);
                student.Data[r * classes + c] = (float)Math.Exp(logQ);
                teacher.Data[r * classes + c] = (float)p;
                if (p > 0) total += p * (logP - logQ);
            }
        }
        var loss = Tensor.CreateOutput(new Shape());
        loss.Data[0] = (float)(temperature * (double)temperature * total / batch);
        return Records(studentLogits) ? Attach(loss, new DistillationNode(studentLogits, student, teacher, temperature)) : loss;
    }

    private static double LogSumExp(ReadOnlySpan<float> row, double scale)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v * scale);
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v * scale - max);
        return max + Math.Log(sum);
    }

    private sealed class DistillationNode(Tensor logits, Tensor student, Tensor teacher, float temperature) : Node([logits])
    {
        public override void Backward(Tensor output)
        {
            int batch = logits.Shape[0];
            float scale = output.Grad!.Data[0] * temperature / batch;
            var dx = logits.GradSpan();
            var q = student.Data;
            var p = teacher.Data;
            for (int i = 0; i < dx.Length; i++) dx[i] += scale * (q[i] - p[i]);
        }
    }
}
