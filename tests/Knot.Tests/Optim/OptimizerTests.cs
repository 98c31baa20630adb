using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;

namespace Knot.Tests.Optim;

/// <summary>Three steps with fixed gradients must land where PyTorch 1.13 lands (values from optimizer_golden.py).</summary>
public sealed class OptimizerTests
{
    private static readonly float[][] Gradients = [[0.1f, -0.2f, 0.3f], [0.05f, 0.4f, -0.1f], [-0.3f, 0.2f, 0f]];

    private static float[] Run(Func<Parameter, Optimizer> make)
    {
        var p = new Parameter(Tensor.FromArray([0.5f, -1.0f, 2.0f], 3));
        var opt = make(p);
        foreach (var g in Gradients)
        {
            g.CopyTo(p.Grad.Data, 0);
            opt.Step();
        }
        return p.Value.Data;
    }

    public static TheoryData<string, float[]> Cases => new()
    {
        { "sgd", [0.515000045f, -1.03999996f, 1.98000002f] },
        { "sgd_mom_wd", [0.490640402f, -1.03623068f, 1.92659354f] },
        { "sgd_nesterov", [0.509060025f, -1.07762003f, 1.92392993f] },
        { "adam", [0.48415044f, -0.998853445f, 1.98290408f] },
        { "adam_wd", [0.481162161f, -0.99242866f, 1.97388756f] },
        { "adamw", [0.482681274f, -0.995872855f, 1.97693419f] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name, float[] expected)
    {
        Optimizer Make(Parameter p) => name switch
        {
            "sgd" => new Sgd([p], 0.1f),
            "sgd_mom_wd" => new Sgd([p], 0.1f, momentum: 0.9f, weightDecay: 0.01f),
            "sgd_nesterov" => new Sgd([p], 0.1f, momentum: 0.9f, nesterov: true),
            "adam" => new Adam([p], 0.01f),
            "adam_wd" => new Adam([p], 0.01f, weightDecay: 0.1f),
            "adamw" => new Adam([p], 0.01f, weightDecay: 0.1f, decoupledWeightDecay: true),
            _ => throw new ArgumentException(name),
        };
        var actual = Run(Make);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 5e-6f);
    }

    [Fact]
    public void ParameterGroupsUseTheirOwnLearningRates()
    {
        var a = new Parameter(Tensor.FromArray([1f], 1));
        var b = new Parameter(Tensor.FromArray([1f], 1));
        var opt = new Sgd([new ParameterGroup([a], 0.1f), new ParameterGroup([b], 0.5f)]);
        a.Grad.Data[0] = 1; b.Grad.Data[0] = 1;
        opt.Step();
        Assert.Equal(0.9f, a.Value.Data[0], 6);
        Assert.Equal(0.5f, b.Value.Data[0], 6);
    }

    [Fact]
    public void StateRoundTripContinuesIdentically()
    {
        var p1 = new Parameter(Tensor.FromArray([0.5f, -1f, 2f], 3));
        var o1 = new Adam([p1], 0.01f);
        Gradients[0].CopyTo(p1.Grad.Data, 0); o1.Step();
        var saved = o1.StateTensors().ToDictionary(s => s.Name, s => s.State.Clone());

        var p2 = new Parameter(p1.Value.Clone());
        var o2 = new Adam([p2], 0.01f);
        o2.LoadState(saved, o1.StepCount);
        foreach (var (p, o) in new[] { (p1, (Optimizer)o1), (p2, o2) })
        {
            Gradients[1].CopyTo(p.Grad.Data, 0); o.Step();
        }
        Assert.Equal(p1.Value.Data, p2.Value.Data);
    }

    [Fact]
    public void SchedulesFollowPyTorchFormulas()
    {
        Assert.Equal(0.96f * 0.96f, LearningRateSchedule.Parse("step:10:0.96", 100).Factor(25), 6);
        Assert.Equal(MathF.Pow(0.9f, 3), LearningRateSchedule.Parse("exp:0.9", 10).Factor(3), 6);
        Assert.Equal(0.5f, LearningRateSchedule.Parse("cosine", 10).Factor(5), 6);
        Assert.Equal(1f, LearningRateSchedule.Parse("constant", 10).Factor(7));
        var ex = Assert.Throws<ArgumentException>(() => LearningRateSchedule.Parse("step:x", 10));
        Assert.Contains("step:x", ex.Message);
    }

    [Fact]
    public void InvalidHyperParametersAreRejected()
    {
        var p = new Parameter(Tensor.Zeros(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], 0.1f, momentum: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], float.NaN));
    }
}

public sealed class SgdVectorPathTests
{
    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0f)]
    [InlineData(false, 0.3f)]
    public void VectorizedUpdateIsBitIdenticalToTheScalarFormula(bool nesterov, float dampening)
    {
        const int n = 1037; // vector body plus a ragged tail
        var rng = new KnotRandom(3);
        var w0 = Enumerable.Range(0, n).Select(_ => (float)rng.NextNormal()).ToArray();
        var grads = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, n).Select(_ => (float)rng.NextNormal()).ToArray()).ToArray();
        var p = new Parameter(Tensor.FromArray((float[])w0.Clone(), n));
        var opt = new Sgd([new ParameterGroup([p], 0.1f, 0.01f)], 0.9f, nesterov, nesterov ? 0f : dampening);
        var w = (float[])w0.Clone();
        var buf = new float[n];
        float keep = 1f - (nesterov ? 0f : dampening);
        for (int step = 0; step < grads.Length; step++)
        {
            grads[step].CopyTo(p.Grad.Data, 0);
            opt.Step();
            for (int i = 0; i < n; i++)
            {
                float g = grads[step][i] + 0.01f * w[i];
                float b = step == 0 ? g : 0.9f * buf[i] + keep * g;
                buf[i] = b;
                w[i] -= 0.1f * (nesterov ? g + 0.9f * b : b);
            }
        }
        Assert.Equal(w, p.Value.Data);
    }
}
