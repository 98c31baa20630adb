using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Knot.Data;
using Knot.Data.Acquisition;

namespace Knot.Tests.Data;

public sealed class Cifar10AcquisitionTests
{
    /// <summary>A CIFAR-style archive with 2 records per train file and 3 test records, plus hostile extras.</summary>
    private static byte[] Archive(bool hostile = true, string? omit = null)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "cifar-10-batches-bin/"));
            if (hostile)
            {
                // A path escaping the target, and a link named like a wanted file: neither may be followed.
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../escape.bin") { DataStream = new MemoryStream([1, 2, 3]) });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "cifar-10-batches-bin/data_batch_1.bin") { LinkName = "/etc/passwd" });
            }
            foreach (string name in Cifar10Archive.BinFiles)
            {
                if (name == omit) continue;
                var bytes = DataTestFiles.CifarBatch(name == "test_batch.bin" ? 3 : 2, name.Length);
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/" + name) { DataStream = new MemoryStream(bytes) });
            }
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/readme.html") { DataStream = new MemoryStream([60]) });
        }
        return ms.ToArray();
    }

    private static Cifar10Archive Describe(byte[] archive, params Uri[] urls) =>
#pragma warning disable CA5351 // matching the format under test, not security
        new(urls.Length > 0 ? urls : [new Uri("https://cifar.test/cifar-10-binary.tar.gz")], archive.Length,
            Convert.ToHexStringLower(MD5.HashData(archive)), 2, 3);
#pragma warning restore CA5351

    [Fact]
    public void ImportsFromAnArchiveTakingOnlyTheSixFiles()
    {
        using var src = new TempDir();
        using var dst = new TempDir();
        var bytes = Archive();
        File.WriteAllBytes(src.File(Cifar10Archive.FileName), bytes);

        Cifar10Acquirer.Import(src.Path, dst.Path, Describe(bytes));

        Assert.Equal(Cifar10Archive.BinFiles.Order(), Directory.GetFiles(dst.Path).Select(Path.GetFileName).Order()!);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dst.Path)!, "escape.bin")));
        Assert.True(Cifar10Acquirer.IsInstalled(dst.Path, Describe(bytes), out var problem), problem);
        Assert.Equal(10, Cifar10Dataset.Load(dst.Path, DataSplit.Train).Count);
        Assert.Equal(3, Cifar10Dataset.Load(dst.Path, DataSplit.Test).Count);
    }

    [Fact]
    public void ArchiveWithWrongChecksumOrMissingMemberIsRefused()
    {
        using var src = new TempDir();
        using var dst = new TempDir();
        var bytes = Archive();
        var bad = (byte[])bytes.Clone();
        bad[bad.Length / 2] ^= 1;
        File.WriteAllBytes(src.File("a.tar.gz"), bad);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Acquirer.Import(src.File("a.tar.gz"), dst.Path, Describe(bytes)));
        Assert.Contains("MD5", e.Message);
        Assert.Empty(Directory.GetFiles(dst.Path));

        var partial = Archive(hostile: false, omit: "data_batch_4.bin");
        File.WriteAllBytes(src.File("b.tar.gz"), partial);
        e = Assert.Throws<InvalidDataException>(() => Cifar10Acquirer.Import(src.File("b.tar.gz"), dst.Path, Describe(partial)));
        Assert.Contains("lacks data_batch_4.bin", e.Message);
    }

    [Fact]
    public void CorruptArchiveBodyGivesAClearError()
    {
        using var src = new TempDir();
        using var dst = new TempDir();
        var bytes = Archive(hostile: false);
        var bad = (byte[])bytes.Clone();
        for (int i = 20; i < 60; i++) bad[i] ^= 0xA5;
        File.WriteAllBytes(src.File("c.tar.gz"), bad);
        // Checksum matches the damaged bytes, so the damage must be caught while reading the archive.
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Acquirer.Import(src.File("c.tar.gz"), dst.Path, Describe(bad)));
        Assert.Contains(src.File("c.tar.gz"), e.Message);
    }

    [Fact]
    public void ImportsLooseBinFilesAndChecksTheirSizes()
    {
        using var src = new TempDir();
        using var dst = new TempDir();
        var bytes = Archive();
        string nested = Path.Combine(src.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(nested);
        foreach (string name in Cifar10Archive.BinFiles)
            File.WriteAllBytes(Path.Combine(nested, name), DataTestFiles.CifarBatch(name == "test_batch.bin" ? 3 : 2, 0));
        Cifar10Acquirer.Import(src.Path, dst.Path, Describe(bytes));
        Assert.True(Cifar10Acquirer.IsInstalled(dst.Path, Describe(bytes), out _));

        File.WriteAllBytes(Path.Combine(nested, "data_batch_2.bin"), DataTestFiles.CifarBatch(1, 0));
        using var dst2 = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Acquirer.Import(src.Path, dst2.Path, Describe(bytes)));
        Assert.Contains("expected 6146 bytes, found 3073", e.Message);
    }

    [Fact]
    public async Task DownloadsVerifiesAndExtracts()
    {
        using var dst = new TempDir();
        var bytes = Archive();
        var archive = Describe(bytes, new Uri("https://down.test/x.tgz"), new Uri("https://up.test/cifar-10-binary.tar.gz"));
        using var handler = new Handler(u => u.Host == "up.test"
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) }
            : new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        using var http = new HttpClient(handler);

        Assert.Equal(AcquisitionResult.Downloaded, await Cifar10Acquirer.EnsureAsync(dst.Path, http: http, archive: archive));
        Assert.Equal(6, Directory.GetFiles(dst.Path).Length);
        Assert.Equal(AcquisitionResult.AlreadyPresent, await Cifar10Acquirer.EnsureAsync(dst.Path, http: http, archive: archive));
    }

    [Fact]
    public void OfficialArchiveDescription()
    {
        var a = Cifar10Archive.Official;
        Assert.Equal(170_052_171, a.Bytes);
        Assert.Equal(30_730_000, a.ExpectedBytes("data_batch_1.bin"));
        Assert.Equal(30_730_000, a.ExpectedBytes("test_batch.bin"));
        Assert.Equal(6, Cifar10Archive.BinFiles.Count);
    }

    [Fact]
    public async Task IdxSpecsAreNotFetched()
    {
        using var dir = new TempDir();
        await Assert.ThrowsAsync<InvalidOperationException>(() => DataSpec.Parse("idx:" + dir.Path).EnsureAsync());
    }

    private sealed class Handler(Func<Uri, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request.RequestUri!));
    }
}
