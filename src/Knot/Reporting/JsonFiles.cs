using System.Text.Json;
using System.Text.Json.Nodes;

namespace Knot.Reporting;

/// <summary>Reads the JSON files of a run with errors that name the file and what was expected.</summary>
public static class JsonFiles
{
    public static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
        return node as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object, got {node?.GetValueKind().ToString() ?? "null"}.");
    }

    public static double? Number(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return null;
        if (TryNumber(node, out var d)) return d;
        throw new InvalidDataException($"'{key}' is {node.GetValueKind()}, expected a number or null.");
    }

    /// <summary>A JSON number as double, whether parsed from text or built in memory from any numeric type.</summary>
    public static bool TryNumber(JsonNode? node, out double value)
    {
        value = double.NaN;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return false;
        if (v.TryGetValue<double>(out value)) return true;
        if (v.TryGetValue<long>(out var l)) { value = l; return true; }
        if (v.TryGetValue<int>(out var i)) { value = i; return true; }
        if (v.TryGetValue<float>(out var f)) { value = f; return true; }
        if (v.TryGetValue<decimal>(out var m)) { value = (double)m; return true; }
        if (v.TryGetValue<ulong>(out var u)) { value = u; return true; }
        if (v.TryGetValue<JsonElement>(out var e)) { value = e.GetDouble(); return true; }
        return false;
    }

    public static string? Text(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        return node.ToJsonString();
    }
}

/// <summary>JSON helpers shared by the record writers.</summary>
public static class JsonValues
{
    /// <summary>NaN and ±∞ become null (JSON has no literal for them).</summary>
    public static JsonNode? ReplaceNonFinite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList()) o[key] = ReplaceNonFinite(o[key]?.DeepClone());
                return o;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) a[i] = ReplaceNonFinite(a[i]?.DeepClone());
                return a;
            case JsonValue v when v.TryGetValue<double>(out var d) && !double.IsFinite(d):
                return null;
            case JsonValue v when v.TryGetValue<float>(out var f) && !float.IsFinite(f):
                return null;
            default:
                return node;
        }
    }
}
