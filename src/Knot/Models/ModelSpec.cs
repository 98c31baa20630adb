using System.Text.Json;

namespace Knot.Models;

/// <summary>
/// Everything needed to rebuild a zoo model: stored in checkpoints and .knot files so a file names its
/// own architecture. Width scales every hidden layer (tests build tiny versions with Width &lt; 1).
/// </summary>
public sealed record ModelSpec(string Name, float Width = 1f, int InputChannels = 1, int InputHeight = 28, int InputWidth = 28, int Classes = 10)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static ModelSpec FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelSpec>(json) ?? throw new InvalidDataException($"{source}: empty model spec.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: model spec is not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>Hidden size scaled by the width multiplier, never below 1.</summary>
    public int Scale(int size) => Math.Max(1, (int)MathF.Round(size * Width));

    public int InputFeatures => InputChannels * InputHeight * InputWidth;
}
