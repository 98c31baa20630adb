using System.Net;
using Knot.Data;
using Knot.Data.Acquisition;

namespace Knot.Tests.Data;

public sealed class AcquisitionTests
{
    /// <summary>A tiny MNIST-like dataset (4 files) and a manifest with its real sizes and hashes.</summary>
    private sealed class Fixture : IDisposable
    {
        public Fixture(params Uri[] mirrors)
        {
            Files = new Dictionary<string, byte[]>();
            foreach (var (prefix, n) in new[] { ("train", 6), ("t10k", 3) })
            {
                var labels = new byte[n];
                for (int i = 0; i < n; i++) labels[i] = (byte)(i % 10);
                Files[prefix + "-images-idx3-ubyte"] = DataTestFiles.IdxBytes([n, 28, 28], DataTestFiles.Pattern(n * 784, n));
                Files[prefix + "-labels-idx1-ubyte"] = DataTestFiles.IdxBytes([n], labels);
            }
            Manifest = new DatasetManifest("tiny",
                [.. Files.Select(kv => new DatasetFile(kv.Key, kv.Value.Length, DataTestFiles.Sha256(kv.Value)))],
                mirrors.Length > 0 ? mirrors : [new Uri("https://mirror-a.test/mnist/"), new Uri("http://mirror-b.test/x/")]);
        }

        public Dictionary<string, byte[]> Files { get; }
        public DatasetManifest Manifest { get; }
        public TempDir Source { get; } = new();
        public TempDir Target { get; } = new();

        public void Dispose()
        {
            Source.Dispose();
            Target.Dispose();
        }
    }

    /// <summary>Answers GETs from a table of URL → response; anything else is a 404. Records requests.</summary>
    private sealed class FakeHandler(Func<Uri, HttpResponseMessage?> respond) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            return Task.FromResult(respond(request.RequestUri!) ?? new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }

    private static HttpResponseMessage Ok(byte[] body) => new(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };

    private static string[] LeftoverTemps(string dir) => Directory.GetFiles(dir, "*.tmp");

    [Fact]
    public void OfficialMnistManifestMatchesTheKnownFiles()
    {
        var m = DatasetManifest.Mnist;
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], m.Files.Select(f => f.Name));
        Assert.Equal([47_040_016L, 60_008, 7_840_016, 10_008], m.Files.Select(f => f.Bytes));
        Assert.Equal("https://ossci-datasets.s3.amazonaws.com/mnist/", m.Mirrors[0].ToString());
        Assert.Equal("http://yann.lecun.com/exdb/mnist/", m.Mirrors[1].ToString());
        Assert.All(m.Files, f => Assert.Equal(64, f.Sha256.Length));
    }

    [Fact]
    public void ImportCopiesVerifiesAndLoads()
    {
        using var fx = new Fixture();
        // Like the npm package: package/data/ holds raw files; one of them gzipped to show both are accepted.
        string data = Path.Combine(fx.Source.Path, "package", "data");
        Directory.CreateDirectory(data);
        foreach (var (name, bytes) in fx.Files)
            File.WriteAllBytes(Path.Combine(data, name.StartsWith("t10k-images", StringComparison.Ordinal) ? name + ".gz" : name),
                name.StartsWith("t10k-images", StringComparison.Ordinal) ? DataTestFiles.Gzip(bytes) : bytes);
        var reports = new List<AcquisitionProgress>();
        var progress = new SyncProgress(reports);

        DatasetImporter.Import(fx.Source.Path, fx.Target.Path, fx.Manifest, progress);

        Assert.True(File.Exists(fx.Target.File("train-images-idx3-ubyte")));
        Assert.True(File.Exists(fx.Target.File("t10k-images-idx3-ubyte.gz")));
        Assert.Empty(LeftoverTemps(fx.Target.Path));
        Assert.Equal(4, reports.Count(r => r.Stage == AcquisitionStage.Done));
        Assert.True(DatasetAcquirer.IsInstalled(fx.Target.Path, fx.Manifest, verifyContents: true, out var problem), problem);
        Assert.Equal(3, MnistDataset.Load(fx.Target.Path, DataSplit.Test).Count);
    }

    [Fact]
    public void ImportOfACorruptSourceInstallsNothing()
    {
        using var fx = new Fixture();
        foreach (var (name, bytes) in fx.Files) File.WriteAllBytes(fx.Source.File(name), bytes);
        var bad = (byte[])fx.Files["train-labels-idx1-ubyte"].Clone();
        bad[^1] ^= 1;
        File.WriteAllBytes(fx.Source.File("train-labels-idx1-ubyte"), bad);

        var e = Assert.Throws<InvalidDataException>(() => DatasetImporter.Import(fx.Source.Path, fx.Target.Path, fx.Manifest));

        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains(fx.Source.File("train-labels-idx1-ubyte"), e.Message);
        Assert.False(File.Exists(fx.Target.File("train-labels-idx1-ubyte")));
        Assert.Empty(LeftoverTemps(fx.Target.Path));
    }

    [Fact]
    public void ImportFromAnIncompleteDirectoryListsWhatIsMissing()
    {
        using var fx = new Fixture();
        File.WriteAllBytes(fx.Source.File("train-images-idx3-ubyte"), fx.Files["train-images-idx3-ubyte"]);
        var e = Assert.Throws<FileNotFoundException>(() => DatasetImporter.Import(fx.Source.Path, fx.Target.Path, fx.Manifest));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.DoesNotContain("train-images-idx3-ubyte,", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => DatasetImporter.Import(Path.Combine(fx.Source.Path, "nope"), fx.Target.Path, fx.Manifest));
    }

    [Fact]
    public async Task DownloadFallsBackToTheNextMirrorAndInstallsGzip()
    {
        using var fx = new Fixture();
        using var handler = new FakeHandler(uri => uri.Host == "mirror-b.test"
            ? Ok(DataTestFiles.Gzip(fx.Files[Path.GetFileNameWithoutExtension(uri.AbsolutePath)]))
            : null);
        using var http = new HttpClient(handler);
        var reports = new List<AcquisitionProgress>();

        var result = await DatasetAcquirer.EnsureAsync(fx.Manifest, fx.Target.Path, http: http, progress: new SyncProgress(reports));

        Assert.Equal(AcquisitionResult.Downloaded, result);
        Assert.Equal(8, handler.Requests.Count);
        Assert.Contains(new Uri("http://mirror-b.test/x/train-images-idx3-ubyte.gz"), handler.Requests);
        Assert.Equal(4, reports.Count(r => r.Stage == AcquisitionStage.MirrorFailed));
        Assert.True(File.Exists(fx.Target.File("train-images-idx3-ubyte.gz")));
        Assert.Empty(LeftoverTemps(fx.Target.Path));
        Assert.Equal(6, MnistDataset.Load(fx.Target.Path, DataSplit.Train).Count);

        // A second call finds everything in place and fetches nothing.
        handler.Requests.Clear();
        Assert.Equal(AcquisitionResult.AlreadyPresent, await DatasetAcquirer.EnsureAsync(fx.Manifest, fx.Target.Path, http: http));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task DownloadRejectsBadContentFromEveryMirror()
    {
        using var fx = new Fixture();
        var wrong = DataTestFiles.Gzip(DataTestFiles.IdxBytes([1], [9]));
        using var handler = new FakeHandler(uri => uri.Host == "mirror-a.test" ? new HttpResponseMessage(HttpStatusCode.InternalServerError) : Ok(wrong));
        using var http = new HttpClient(handler);
        var file = fx.Manifest.Files[0];

        var e = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(http).DownloadFileAsync(fx.Manifest, file, fx.Target.Path));

        Assert.Contains("mirror-a.test", e.Message);
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("mirror-b.test", e.Message);
        Assert.Contains($"expected {file.Bytes} bytes (decompressed)", e.Message);
        Assert.Empty(Directory.GetFiles(fx.Target.Path));
    }

    [Fact]
    public async Task DownloadStopsAtTheSizeCap()
    {
        using var fx = new Fixture(new Uri("https://only.test/"));
        var file = fx.Manifest.Files.First(f => f.Name.Contains("labels", StringComparison.Ordinal));
        // An endless-looking body without Content-Length: must be cut off, not written to disk forever.
        using var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new RepeatingStream(200_000)) });
        using var http = new HttpClient(handler);
        var e = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(http).DownloadFileAsync(fx.Manifest, file, fx.Target.Path));
        Assert.Contains("exceeded", e.Message);
        Assert.Empty(Directory.GetFiles(fx.Target.Path));
    }

    [Fact]
    public async Task EnsurePrefersImportWhenASourceIsGiven()
    {
        using var fx = new Fixture();
        foreach (var (name, bytes) in fx.Files) File.WriteAllBytes(fx.Source.File(name), bytes);
        Assert.False(DatasetAcquirer.IsInstalled(fx.Target.Path, fx.Manifest, verifyContents: false, out var problem));
        Assert.Contains("missing", problem);
        Assert.Equal(AcquisitionResult.Imported, await DatasetAcquirer.EnsureAsync(fx.Manifest, fx.Target.Path, importFrom: fx.Source.Path));
        Assert.True(DatasetAcquirer.IsInstalled(fx.Target.Path, fx.Manifest, verifyContents: false, out _));
    }

    [Fact]
    public void InstallingGzipReplacesAStaleRawCopy()
    {
        using var fx = new Fixture();
        var file = fx.Manifest.Files[1];
        File.WriteAllBytes(fx.Target.File(file.Name), [1, 2, 3]);
        string temp = DatasetStore.TemporaryPath(fx.Target.Path, file.Name);
        File.WriteAllBytes(temp, DataTestFiles.Gzip(fx.Files[file.Name]));
        string installed = DatasetStore.Install(temp, fx.Target.Path, file, gzip: true);
        Assert.Equal(fx.Target.File(file.Name + ".gz"), installed);
        Assert.False(File.Exists(fx.Target.File(file.Name)));
        Assert.Equal(installed, DatasetStore.Find(fx.Target.Path, file));
    }

    /// <summary>IProgress that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<AcquisitionProgress> sink) : IProgress<AcquisitionProgress>
    {
        public void Report(AcquisitionProgress value) => sink.Add(value);
    }

    /// <summary>Returns the same bytes up to a large length, in small reads.</summary>
    private sealed class RepeatingStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            buffer.AsSpan(offset, n).Fill(0x1F);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
