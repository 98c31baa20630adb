using Knot.Autograd.Ops;
using Knot.Nn;

namespace Knot.Training;

/// <summary>
/// Knowledge distillation: the loss becomes (1 − Weight) · cross-entropy + Weight · T² · KL(teacher ‖ student) at
/// temperature T (<see cref="Op.Distillation"/>). The teacher runs in evaluation mode without gradients on the same
/// (augmented) batch; it is never changed.
/// </summary>
/// <param name="Source">Where the teacher came from (a file name), for the checkpoint's metadata.</param>
public sealed record Distillation(Module Teacher, float Weight = 0.5f, float Temperature = 4f, string? Source = null)
{
    /// <summary>A teacher from a Knot checkpoint; it must take the student's inputs and predict its classes.</summary>
    public static Distillation FromCheckpoint(string path, Models.ModelSpec student, float weight = 0.5f, float temperature = 4f)
    {
        ArgumentNullException.ThrowIfNull(student);
        var loaded = ModelCheckpoint.Load(path);
        var spec = loaded.Spec;
        if ((spec.InputChannels, spec.InputHeight, spec.InputWidth, spec.Classes) != (student.InputChannels, student.InputHeight, student.InputWidth, student.Classes))
            throw new InvalidDataException($"Teacher {Path.GetFileName(path)} ({spec.Name}) takes {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth} inputs " +
                $"and predicts {spec.Classes} classes; the student ({student.Name}) needs {student.InputChannels}×{student.InputHeight}×{student.InputWidth} and {student.Classes}.");
        var teacher = loaded.Model;
        var distillation = new Distillation(teacher, weight, temperature, Path.GetFileName(path));
        distillation.Validate();
        return distillation;
    }

    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"teacher {Source ?? "(in memory)"}, weight {Weight}, temperature {Temperature}");

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Teacher);
        CheckSettings(Weight, Temperature);
    }

    /// <summary>The weight and temperature alone (e.g. before a teacher is loaded).</summary>
    public static void CheckSettings(float weight, float temperature)
    {
        if (!(weight >= 0 && weight <= 1)) throw new ArgumentException($"--distill-weight must be in [0, 1], got {weight}.");
        if (!(temperature > 0) || !float.IsFinite(temperature)) throw new ArgumentException($"--distill-temperature must be a positive number, got {temperature}.");
    }
}
