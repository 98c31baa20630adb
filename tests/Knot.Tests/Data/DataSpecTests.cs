using Knot.Data;

namespace Knot.Tests.Data;

public sealed class DataSpecTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "knot-root");

    [Fact]
    public void BareNamesUseTheDataRoot()
    {
        Assert.Equal(new DataSpec(DatasetKind.Mnist, Path.Combine(Root, "mnist")), DataSpec.Parse("mnist", Root));
        Assert.Equal(new DataSpec(DatasetKind.Cifar10, Path.Combine(Root, "cifar10")), DataSpec.Parse(" CIFAR10 ", Root));
    }

    [Fact]
    public void ExplicitDirectories()
    {
        string d = Path.Combine(Path.GetTempPath(), "some", "dir");
        Assert.Equal(new DataSpec(DatasetKind.Idx, d), DataSpec.Parse("idx:" + d, Root));
        Assert.Equal(new DataSpec(DatasetKind.Mnist, d), DataSpec.Parse("mnist:" + d, Root));
        Assert.Equal(new DataSpec(DatasetKind.Cifar10, d), DataSpec.Parse("cifar10:" + d, Root));
        Assert.Equal(Path.GetFullPath("rel"), DataSpec.Parse("idx:rel", Root).Directory);
    }

    [Fact]
    public void UnknownNameListsKnownForms()
    {
        var e = Assert.Throws<ArgumentException>(() => DataSpec.Parse("imagenet:/x", Root));
        Assert.Contains("'imagenet'", e.Message);
        foreach (string form in DataSpec.KnownForms) Assert.Contains(form, e.Message);
        Assert.Throws<ArgumentException>(() => DataSpec.Parse("", Root));
        Assert.Contains("needs a directory", Assert.Throws<ArgumentException>(() => DataSpec.Parse("idx", Root)).Message);
        Assert.Contains("empty directory", Assert.Throws<ArgumentException>(() => DataSpec.Parse("mnist:", Root)).Message);
    }

    [Fact]
    public void DataRootComesFromVariableOrHome()
    {
        Assert.Equal(Path.Combine("/home/u", ".knot", "data"), DataSpec.ResolveDataRoot(null, "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".knot", "data"), DataSpec.ResolveDataRoot("  ", "/home/u"));
        Assert.Equal("/data/k", DataSpec.ResolveDataRoot("/data/k", "/home/u"));
        Assert.Equal(Path.Combine("/home/u", "d"), DataSpec.ResolveDataRoot("~/d", "/home/u"));
    }

    [Fact]
    public void LoadDispatchesByKind()
    {
        using var dir = new TempDir();
        DataTestFiles.WriteIdxSplit(dir.Path, "t10k", 5, 28, 28);
        var idx = DataSpec.Parse("idx:" + dir.Path).Load(DataSplit.Test);
        var mnist = DataSpec.Parse("mnist:" + dir.Path).Load(DataSplit.Test);
        Assert.True(idx.Normalization.IsIdentity);
        Assert.False(mnist.Normalization.IsIdentity);
        Assert.Equal(idx.Labels, mnist.Labels);
    }
}
