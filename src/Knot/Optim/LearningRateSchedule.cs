namespace Knot.Optim;

/// <summary>Learning-rate factor per epoch (0-based), applied as lr = base · Factor(epoch) before the epoch.</summary>
public abstract class LearningRateSchedule
{
    public abstract float Factor(int epoch);

    public static LearningRateSchedule Parse(string spec, int totalEpochs)
    {
        // Forms: constant | step:EVERY:GAMMA | exp:GAMMA | cosine[:MIN_FACTOR]
        var parts = spec.Split(':');
        float F(int i) => float.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            return parts[0] switch
            {
                "constant" when parts.Length == 1 => new ConstantSchedule(),
                "step" when parts.Length == 3 => new StepSchedule(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), F(2)),
                "exp" when parts.Length == 2 => new ExponentialSchedule(F(1)),
                "cosine" when parts.Length <= 2 => new CosineSchedule(totalEpochs, parts.Length == 2 ? F(1) : 0f),
                _ => throw new FormatException(),
            };
        }
        catch (FormatException)
        {
            throw new ArgumentException($"Invalid --lr-schedule '{spec}': expected constant, step:EVERY:GAMMA, exp:GAMMA or cosine[:MIN_FACTOR].", nameof(spec));
        }
    }
}

public sealed class ConstantSchedule : LearningRateSchedule
{
    public override float Factor(int epoch) => 1f;
    public override string ToString() => "constant";
}

/// <summary>PyTorch StepLR: factor = γ^⌊epoch / every⌋.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    public StepSchedule(int every, float gamma)
    {
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "Step schedule period must be >= 1.");
        if (!(gamma > 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "Step schedule gamma must be > 0.");
        Every = every; Gamma = gamma;
    }

    public int Every { get; }
    public float Gamma { get; }
    public override float Factor(int epoch) => MathF.Pow(Gamma, epoch / Every);
    public override string ToString() => $"step:{Every}:{Gamma}";
}

/// <summary>PyTorch ExponentialLR: factor = γ^epoch.</summary>
public sealed class ExponentialSchedule : LearningRateSchedule
{
    public ExponentialSchedule(float gamma)
    {
        if (!(gamma > 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "Exponential schedule gamma must be > 0.");
        Gamma = gamma;
    }

    public float Gamma { get; }
    public override float Factor(int epoch) => MathF.Pow(Gamma, epoch);
    public override string ToString() => $"exp:{Gamma}";
}

/// <summary>PyTorch CosineAnnealingLR over the run: factor = min + (1 − min)·(1 + cos(π·epoch/T))/2.</summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    public CosineSchedule(int totalEpochs, float minFactor = 0f)
    {
        if (totalEpochs < 1) throw new ArgumentOutOfRangeException(nameof(totalEpochs), totalEpochs, "Cosine schedule needs >= 1 epoch.");
        TotalEpochs = totalEpochs; MinFactor = minFactor;
    }

    public int TotalEpochs { get; }
    public float MinFactor { get; }
    public override float Factor(int epoch) => MinFactor + (1 - MinFactor) * 0.5f * (1 + MathF.Cos(MathF.PI * epoch / TotalEpochs));
    public override string ToString() => $"cosine:{MinFactor}";
}
