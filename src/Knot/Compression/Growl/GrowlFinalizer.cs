using Knot.Compression.Tying;
using Knot.Models;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Compression.Growl;

/// <summary>
/// Turns a constrained model (zero groups, tied groups) into a smaller equivalent network:
/// - a dead input unit/channel whose producer (the previous Linear/Conv2d, reached through ReLU, BatchNorm,
///   pooling or dropout only) is in the network is removed there too: the producer loses that output row or
///   filter and the BatchNorm in between that feature — layers really shrink;
/// - through a Flatten (a Linear after a convolution: LeNet-5's fc1), a convolution filter goes when every one of
///   its flattened positions is a dead input of the Linear (the consumer never reads it, so its bias does not
///   matter either);
/// - tied inputs are summed first (<see cref="GroupSum"/>) and multiplied by one shared column, which is exact
///   because the members' columns are identical; dead inputs without a producer (image pixels, features after
///   a Flatten) are dropped by the same GroupSum.
/// The result's outputs equal the constrained model's (eval mode) up to float summation order.
/// </summary>
public static class GrowlFinalizer
{
    public static Sequential Finalize(Module model, IEnumerable<LayerStructure> structure)
    {
        if (model is not Sequential sequential)
            throw new NotSupportedException($"Finalize needs a sequential network; {model.GetType().Name} is not one (residual networks such as wrn-16-4 keep their constrained form).");
        var layers = Copy(sequential);
        foreach (var s in structure)
        {
            string layerName = RegularizerSpec.LayerOf(s.Name);
            int index = layers.FindIndex(l => l.Name == layerName);
            if (index < 0) throw new InvalidDataException($"Structure names layer '{layerName}', which the network does not have.");
            ApplyLayer(layers, index, s);
        }
        var result = new Sequential();
        foreach (var (name, m) in layers) result.Add(m, name);
        result.Eval();
        return result;
    }

    /// <summary>
    /// The output units/channels that <see cref="Finalize"/> removes from producer layers (a layer whose outputs feed
    /// a structured layer's inputs one to one, with only ReLU, BatchNorm, pooling or dropout in between): per producer
    /// layer name ("fc1"), its removed output indices, ascending. Their rows/filters have no effect on the constrained
    /// model's output (the consumer's matching input group is zero), so later stages may ignore them or zero them.
    /// </summary>
    public static Dictionary<string, int[]> RemovedOutputs(Module model, IEnumerable<LayerStructure> structure)
    {
        if (model is not Sequential sequential)
            throw new NotSupportedException($"Finalize needs a sequential network; {model.GetType().Name} is not one.");
        // Finalize rewrites a copy layer by layer, but a producer's outputs change only through its own consumer and
        // the GroupSum it inserts sits after the producer, so the original network gives the same producers.
        var layers = sequential.Children.ToList();
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var s in structure)
        {
            string layerName = RegularizerSpec.LayerOf(s.Name);
            int index = layers.FindIndex(l => l.Name == layerName);
            if (index < 0) throw new InvalidDataException($"Structure names layer '{layerName}', which the network does not have.");
            var map = s.ToTieMap();
            int inputs = InputsOf(layers[index].Module, layerName);
            if (inputs != map.GroupCount) throw new InvalidDataException($"Structure for '{layerName}' has {map.GroupCount} groups, the layer has {inputs} inputs.");
            if (map.DeadCount == 0 || map.DeadCount == inputs) continue;
            var link = FindProducer(layers, index, inputs);
            if (link.Index < 0) continue;
            var dead = DeadOutputs(map, inputs, link.Spatial);
            if (dead.Length > 0) result[layers[link.Index].Name] = dead;
        }
        return result;
    }

    private static void ApplyLayer(List<(string Name, Module Module)> layers, int index, LayerStructure s)
    {
        var map = s.ToTieMap();
        var (name, layer) = layers[index];
        int inputs = InputsOf(layer, name);
        if (inputs != map.GroupCount) throw new InvalidDataException($"Structure for '{name}' has {map.GroupCount} groups, the layer has {inputs} inputs.");
        var kept = Enumerable.Range(0, inputs).Where(j => map.Labels[j] >= 0).ToArray();
        if (kept.Length == 0)
            throw new DeadLayerException($"Every input group of '{name}' is zero, so the network's output no longer depends on its input; use a smaller λ.");
        bool anyTies = map.ClusterCount < kept.Length;
        var (producer, spatial) = FindProducer(layers, index, inputs);

        int[] labels = map.Labels.ToArray();
        int[] deadOutputs = producer >= 0 ? DeadOutputs(map, inputs, spatial) : [];
        if (deadOutputs.Length > 0)
        {
            int outputs = inputs / spatial;
            var keptOutputs = Enumerable.Range(0, outputs).Except(deadOutputs).ToArray();
            layers[producer] = (layers[producer].Name, KeepOutputs(layers[producer].Module, keptOutputs));
            for (int k = producer + 1; k < index; k++)
                if (layers[k].Module is BatchNorm bn) layers[k] = (layers[k].Name, KeepFeatures(bn, keptOutputs));
            // The consumer now sees the kept outputs' positions, in order; dead positions inside a kept filter (through a
            // Flatten) keep their label −1 and the GroupSum below drops them.
            labels = keptOutputs.SelectMany(c => Enumerable.Range(c * spatial, spatial)).Select(j => map.Labels[j]).ToArray();
        }
        else if (!anyTies && kept.Length == inputs)
        {
            return; // nothing removed, nothing tied
        }

        // Column c of the new layer is the shared column of cluster c (any member's: they are identical).
        var firstMember = new int[map.ClusterCount];
        for (int c = 0; c < map.ClusterCount; c++) firstMember[c] = map.Members(c)[0];
        bool needGroupSum = labels.Length != map.ClusterCount || anyTies || labels.Any(l => l < 0);
        if (!needGroupSum)
        {
            // Producer case without ties: inputs are already exactly the kept units, in order.
            layers[index] = (name, KeepInputs(layer, kept));
            return;
        }
        layers[index] = (name, KeepInputs(layer, firstMember));
        layers.Insert(index, (name + "_groups", new GroupSum(labels, map.ClusterCount)));
    }

    private static int InputsOf(Module layer, string name) => layer switch
    {
        Linear l => l.InFeatures,
        Conv2d c => c.InChannels,
        _ => throw new InvalidDataException($"Structure is attached to '{name}', a {layer.GetType().Name}; only Linear and Conv2d layers have input groups."),
    };

    /// <summary>
    /// The Linear/Conv2d whose outputs feed this layer's inputs, and how many consecutive inputs each of its outputs
    /// gives: 1 when one to one; H·W when a Flatten turns a convolution's channels into a Linear's inputs (channel c is
    /// inputs [c·H·W, (c+1)·H·W)). (−1, 0) when there is none.
    /// </summary>
    private static (int Index, int Spatial) FindProducer(List<(string Name, Module Module)> layers, int index, int inputs)
    {
        // A BatchNorm between the Flatten and the Linear normalizes flattened positions, not channels: no link then.
        bool flattened = false, normAfterFlatten = false;
        for (int k = index - 1; k >= 0; k--)
        {
            switch (layers[k].Module)
            {
                case Flatten when !flattened && !normAfterFlatten && layers[index].Module is Linear:
                    flattened = true;
                    continue;
                case BatchNorm:
                    normAfterFlatten |= !flattened;
                    continue;
                case ReLU or MaxPool2d or AvgPool2d or Dropout:
                    continue;
                case Linear l when !flattened && l.OutFeatures == inputs:
                    return (k, 1);
                case Conv2d c when !flattened && c.OutChannels == inputs:
                    return (k, 1);
                case Conv2d c when flattened && inputs % c.OutChannels == 0:
                    return (k, inputs / c.OutChannels);
                default:
                    return (-1, 0);
            }
        }
        return (-1, 0);
    }

    /// <summary>Producer outputs all of whose <paramref name="spatial"/> inputs are dead (none when every input is).</summary>
    private static int[] DeadOutputs(TieMap map, int inputs, int spatial)
    {
        if (map.DeadCount == inputs) return [];
        var dead = new List<int>();
        for (int o = 0; o < inputs / spatial; o++)
        {
            bool all = true;
            for (int s = 0; s < spatial && all; s++) all = map.Labels[o * spatial + s] < 0;
            if (all) dead.Add(o);
        }
        return [.. dead];
    }

    private static List<(string Name, Module Module)> Copy(Sequential model)
    {
        var copy = Architecture.Build(Architecture.Describe(model), "model");
        var source = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value, StringComparer.Ordinal);
        foreach (var (n, p) in copy.NamedParameters()) source[n].Data.AsSpan().CopyTo(p.Value.Data);
        var buffers = model.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer, StringComparer.Ordinal);
        foreach (var (n, b) in copy.NamedBuffers()) buffers[n].Data.AsSpan().CopyTo(b.Data);
        return copy.Children.ToList();
    }

    private static Module KeepOutputs(Module producer, int[] rows)
    {
        switch (producer)
        {
            case Linear l:
            {
                var r = new Linear(l.InFeatures, rows.Length, new KnotRandom(0), l.Bias is not null);
                for (int i = 0; i < rows.Length; i++)
                {
                    l.Weight.Value.Data.AsSpan(rows[i] * l.InFeatures, l.InFeatures).CopyTo(r.Weight.Value.Data.AsSpan(i * l.InFeatures));
                    if (l.Bias is not null) r.Bias!.Value.Data[i] = l.Bias.Value.Data[rows[i]];
                }
                return r;
            }
            case Conv2d c:
            {
                var r = new Conv2d(c.InChannels, rows.Length, c.KernelSize, c.Stride, c.Padding, c.Bias is not null, new KnotRandom(0));
                int filter = c.InChannels * c.KernelSize * c.KernelSize;
                for (int i = 0; i < rows.Length; i++)
                {
                    c.Weight.Value.Data.AsSpan(rows[i] * filter, filter).CopyTo(r.Weight.Value.Data.AsSpan(i * filter));
                    if (c.Bias is not null) r.Bias!.Value.Data[i] = c.Bias.Value.Data[rows[i]];
                }
                return r;
            }
            default:
                throw new InvalidOperationException($"{producer.GetType().Name} cannot lose outputs.");
        }
    }

    private static Module KeepInputs(Module layer, int[] columns)
    {
        switch (layer)
        {
            case Linear l:
            {
                var r = new Linear(columns.Length, l.OutFeatures, new KnotRandom(0), l.Bias is not null);
                for (int o = 0; o < l.OutFeatures; o++)
                    for (int c = 0; c < columns.Length; c++)
                        r.Weight.Value.Data[o * columns.Length + c] = l.Weight.Value.Data[o * l.InFeatures + columns[c]];
                l.Bias?.Value.Data.AsSpan().CopyTo(r.Bias!.Value.Data);
                return r;
            }
            case Conv2d conv:
            {
                var r = new Conv2d(columns.Length, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Bias is not null, new KnotRandom(0));
                int k2 = conv.KernelSize * conv.KernelSize;
                for (int o = 0; o < conv.OutChannels; o++)
                    for (int c = 0; c < columns.Length; c++)
                        conv.Weight.Value.Data.AsSpan((o * conv.InChannels + columns[c]) * k2, k2).CopyTo(r.Weight.Value.Data.AsSpan((o * columns.Length + c) * k2));
                conv.Bias?.Value.Data.AsSpan().CopyTo(r.Bias!.Value.Data);
                return r;
            }
            default:
                throw new InvalidOperationException($"{layer.GetType().Name} has no input groups.");
        }
    }

    private static BatchNorm KeepFeatures(BatchNorm bn, int[] features)
    {
        BatchNorm r = bn is BatchNorm1d
            ? new BatchNorm1d(features.Length, bn.Eps, bn.Momentum, bn.Weight is not null)
            : new BatchNorm2d(features.Length, bn.Eps, bn.Momentum, bn.Weight is not null);
        for (int i = 0; i < features.Length; i++)
        {
            int f = features[i];
            if (bn.Weight is not null) { r.Weight!.Value.Data[i] = bn.Weight.Value.Data[f]; r.Bias!.Value.Data[i] = bn.Bias!.Value.Data[f]; }
            r.RunningMean.Data[i] = bn.RunningMean.Data[f];
            r.RunningVar.Data[i] = bn.RunningVar.Data[f];
        }
        return r;
    }
}

/// <summary>A layer has no live input left, so there is no network to finalize (its output would ignore the input).</summary>
public sealed class DeadLayerException(string message) : Exception(message);
