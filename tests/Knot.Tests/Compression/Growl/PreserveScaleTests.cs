using Knot.Autograd;
using Knot.Compression.Growl;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Tests.Training;
using Knot.Training;

namespace Knot.Tests.Compression.Growl;

/// <summary>RegularizerSpec.PreserveScale: the prox shrinks relative norms only; the layer's overall scale (and function, when BatchNorm follows) stays.</summary>
public sealed class PreserveScaleTests
{
    private static readonly LabeledDataset Train = SyntheticData.Small(512, seed: 1);
    private static ModelSpec Spec => SyntheticData.SmallSpec("growl-mnist");

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (var x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

    /// <summary>Records fc1's weight norm and bias right before and after each prox (the trainer calls hooks in order).</summary>
    private sealed class Before(Parameter weight, Parameter bias) : ITrainingHook
    {
        public double WeightNorm { get; private set; }
        public float[] Bias { get; private set; } = [];
        public void AfterStep(StepContext context) { WeightNorm = Norm(weight.Value.Data); Bias = bias.Value.Data.ToArray(); }
    }

    [Fact]
    public void EachProxKeepsTheWeightNormAndScalesTheBiasWithIt()
    {
        var model = ModelZoo.Create(Spec, new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "group-lasso", Lambda1 = 40, Every = 1, PreserveScale = true };
        var targets = reg.Targets("growl-mnist", model);
        var (weight, bias) = (targets[0].Parameter, RegularizerSpec.BiasOf(model, "fc1.weight")!);
        var hook = new ProximalHook(reg, targets, stepsPerEpoch: 16, model);
        var before = new Before(weight, bias);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), new TrainerOptions { Epochs = 1, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(before);
        trainer.Hooks.Add(hook);
        trainer.Fit(Train, null);

        double after = Norm(weight.Value.Data);
        Assert.Equal(before.WeightNorm, after, before.WeightNorm * 1e-5);
        // The bias was multiplied by the same factor as the weight: the ratio is one number for every unit.
        var ratios = before.Bias.Zip(bias.Value.Data.ToArray(), (b, a) => a / b).Where(r => float.IsFinite(r)).ToArray();
        Assert.True(ratios.Length > 10);
        Assert.All(ratios, r => Assert.Equal(ratios[0], r, 1e-4f));
        Assert.True(ratios[0] > 1f, $"the prox shrank the weight, so the scale-back factor must exceed 1 (got {ratios[0]})");
    }

    [Fact]
    public void DeadGroupsStayExactlyZeroThroughTheRescaling()
    {
        var model = ModelZoo.Create(Spec, new KnotRandom(2));
        var reg = new RegularizerSpec { Kind = "group-lasso", Lambda1 = 6, Every = RegularizerSpec.OncePerEpoch, PreserveScale = true };
        var targets = reg.Targets("growl-mnist", model);
        var hook = new ProximalHook(reg, targets, stepsPerEpoch: 16, model);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), new TrainerOptions { Epochs = 4, BatchSize = 32, Seed = 1 });
        trainer.Hooks.Add(hook);
        trainer.Fit(Train, null);
        var op = (Knot.Compression.Proximal.IGroupProximalOperator)hook.Targets[0].Operator;
        Assert.InRange(op.DeadCount, 1, op.Layout.GroupCount - 1); // some died, not all: the scale did not collapse
        var norms = new float[op.Layout.GroupCount];
        op.Layout.Norms(targets[0].Parameter.Value.Data, norms);
        for (int j = 0; j < norms.Length; j++) if (op.DeadGroups[j]) Assert.Equal(0f, norms[j]);
    }

    [Fact]
    public void ScalingTheLayerAndItsBiasLeavesATrainingModeBatchNormNetworkUnchanged()
    {
        // Why the option is sound for growl-mnist: fc1 → ReLU → BatchNorm sees only the direction of (W, b).
        var model = ModelZoo.Create(Spec, new KnotRandom(3));
        model.Train();
        var batch = Tensor.FromArray(Train.Images.AsSpan(0, 64 * 64).ToArray(), 64, 1, 8, 8);
        float[] Logits() { using var _ = GradMode.NoGrad(); return model.Forward(batch).Data.ToArray(); }
        var reference = Logits();
        var p = model.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        foreach (var name in new[] { "fc1.weight", "fc1.bias" })
            System.Numerics.Tensors.TensorPrimitives.Multiply(p[name].Data, 3.7f, p[name].Data);
        var scaled = Logits();
        for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], scaled[i], 2e-3f);
    }

    [Fact]
    public void NeedsTheModelToFindTheBiases()
    {
        var model = ModelZoo.Create(Spec, new KnotRandom(1));
        var reg = new RegularizerSpec { Kind = "growl", PreserveScale = true };
        var e = Assert.Throws<ArgumentException>(() => new ProximalHook(reg, reg.Targets("growl-mnist", model), 16));
        Assert.Contains("model", e.Message);
        Assert.Contains("scale preserved", reg.Describe());
        Assert.Null(RegularizerSpec.BiasOf(model, "bn.running_mean"));
    }
}
