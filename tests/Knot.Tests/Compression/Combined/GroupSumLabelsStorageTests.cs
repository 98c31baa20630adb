using System.Text.Json.Nodes;
using Knot.Autograd;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Tests.Inference;

namespace Knot.Tests.Compression.Combined;

/// <summary>GroupSum labels live in a bit-packed int table, not as JSON text; files with inline labels still read.</summary>
public sealed class GroupSumLabelsStorageTests
{
    [Fact]
    public void LabelsAreStoredAsAnIntTableAndReadBack()
    {
        var model = InferenceTestModels.Finalized();
        var (name, groupSum) = model.Children.Where(c => c.Module is GroupSum).Select(c => (c.Name, (GroupSum)c.Module)).First();
        var file = KnotFile.Parse(KnotModelFile.ToBytes(model, null, denseParameters: 9999), "g.knot");
        var table = Assert.IsType<IndexTableKnotTensor>(file[name + KnotModelFile.LabelsSuffix]);
        Assert.Equal(groupSum.Labels.ToArray(), table.Values);
        var entry = JsonNode.Parse(file.Metadata[KnotModelFile.ArchitectureKey])!.AsArray().Single(n => n!["name"]!.GetValue<string>() == name)!.AsObject();
        Assert.False(entry.ContainsKey("labels"));
        Assert.Equal(name + KnotModelFile.LabelsSuffix, entry["labels_tensor"]!.GetValue<string>());
        // Bit-packed: a few bits a label instead of 2–4 bytes of JSON text.
        Assert.True(table.StoredBytes < groupSum.Inputs, $"{table.StoredBytes} bytes for {groupSum.Inputs} labels");

        var read = KnotModelFile.FromFile(file, "g.knot").Model;
        var x = InferenceTestModels.Input(3);
        using var _ = GradMode.NoGrad();
        Assert.Equal(model.Forward(x).Data, read.Forward(x).Data);
    }

    [Fact]
    public void InlineLabelsStillReadAndAMissingTableIsAnInputError()
    {
        var model = InferenceTestModels.Finalized();
        var writer = KnotModelFile.CreateWriter(model, null, null, null, 9999);
        writer.Metadata[KnotModelFile.ArchitectureKey] = Architecture.Describe(model).ToJsonString(); // the earlier inline form
        var read = KnotModelFile.FromFile(KnotFile.Parse(writer.ToArray(), "old.knot"), "old.knot").Model;
        var x = InferenceTestModels.Input(3);
        using (GradMode.NoGrad()) Assert.Equal(model.Forward(x).Data, read.Forward(x).Data);

        var architecture = Architecture.Describe(model);
        foreach (var o in architecture.Select(n => n!.AsObject()).Where(o => o["type"]!.GetValue<string>() == "groupsum"))
        {
            o.Remove("labels");
            o["labels_tensor"] = "nowhere.labels";
        }
        var broken = KnotModelFile.CreateWriter(model, null, null, null, 9999);
        broken.Metadata[KnotModelFile.ArchitectureKey] = architecture.ToJsonString();
        var e = Assert.Throws<InvalidDataException>(() => KnotModelFile.FromFile(KnotFile.Parse(broken.ToArray(), "bad.knot"), "bad.knot"));
        Assert.Contains("nowhere.labels", e.Message, StringComparison.Ordinal);
        Assert.Contains("bad.knot", e.Message, StringComparison.Ordinal);
    }
}
