using Knot.Nn;
using Knot.Storage.Compressed;

namespace Knot.Storage.Models;

/// <summary>
/// Optional half-precision biases for compressed files (<c>--bias-bits 16</c>). Once the weights are pruned and
/// quantized, the float32 biases are a visible share of a .knot file (LeNet-5: 2,000 of ~8,400 bytes after soft
/// weight-sharing), and half precision is far below their training noise. The rounding is explicit and happens in the
/// model, before the final evaluation — the file format never rounds — so the reported accuracy is the stored model's.
/// </summary>
public static class BiasPrecision
{
    /// <summary>Checks a bias-bits option value: 32 (float32, the papers' accounting) or 16 (float16).</summary>
    public static void Validate(int bits, string option = "--bias-bits")
    {
        if (bits is not (16 or 32)) throw new ArgumentException($"{option} must be 16 or 32, got {bits}.");
    }

    /// <summary>Names of the biases of the Linear and Conv2d layers ("fc1.bias"); BatchNorm parameters are not included.</summary>
    public static IReadOnlyList<string> LayerBiases(Module model)
    {
        var names = new List<string>();
        foreach (var (name, module) in model.NamedModules())
        {
            var bias = module switch { Linear l => l.Bias, Conv2d c => c.Bias, _ => null };
            if (bias is not null) names.Add(name.Length == 0 ? "bias" : name + ".bias");
        }
        return names;
    }

    /// <summary>
    /// With 16 bits: rounds every layer bias to the nearest float16 in place and adds a half-precision storage plan for
    /// it. With 32 bits: does nothing. Returns the names it rounded.
    /// </summary>
    public static IReadOnlyList<string> Apply(Module model, int bits, IDictionary<string, TensorStoragePlan> plans)
    {
        Validate(bits);
        ArgumentNullException.ThrowIfNull(plans);
        if (bits == 32) return [];
        var names = LayerBiases(model);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var name in names)
        {
            var data = parameters[name].Data;
            for (int i = 0; i < data.Length; i++) data[i] = (float)(Half)data[i];
            plans[name] = (plans.TryGetValue(name, out var plan) ? plan : new TensorStoragePlan()) with { Encoding = EncodingRequest.HalfPrecision };
        }
        return names;
    }
}
