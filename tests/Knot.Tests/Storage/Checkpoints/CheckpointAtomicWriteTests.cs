using Knot.Storage.Checkpoints;

namespace Knot.Tests.Storage.Checkpoints;

public sealed class CheckpointAtomicWriteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MissingDirectoryGivesACleanErrorAndNoFile()
    {
        string path = Path.Combine(_dir, "no-such-dir", "model.ckpt");
        var e = Assert.Throws<DirectoryNotFoundException>(() => CheckpointFile.Write(path, CheckpointTestData.Small()));
        Assert.Contains("no-such-dir", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void FailureMidwayLeavesTheExistingFileIntactAndNoTempFile()
    {
        string path = Path.Combine(_dir, "model.ckpt");
        CheckpointFile.Write(path, CheckpointTestData.Small());
        byte[] before = File.ReadAllBytes(path);

        var bigger = CheckpointTestData.Small();
        bigger.AddTensor("big", [1000], new float[1000]);
        foreach (int failAfter in new[] { 0, 10, 100, 1000, 3000 })
        {
            var e = Assert.Throws<IOException>(() => CheckpointFile.Write(path, bigger, s => new FailingStream(s, failAfter)));
            Assert.Equal("simulated disk full", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal([path], Directory.GetFiles(_dir));
        }
        Assert.Equal(2, CheckpointFile.Read(path).Tensors.Count);

        CheckpointFile.Write(path, bigger); // and a successful write does replace it
        Assert.Equal(3, CheckpointFile.Read(path).Tensors.Count);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void ReadingAMissingFileThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => CheckpointFile.Read(Path.Combine(_dir, "absent.ckpt")));
    }

    /// <summary>Passes bytes through until a budget is spent, then throws like a full disk.</summary>
    private sealed class FailingStream(Stream inner, long budget) : Stream
    {
        private long _left = budget;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.Length > _left)
            {
                inner.Write(buffer[..(int)_left]);
                _left = 0;
                throw new IOException("simulated disk full");
            }
            inner.Write(buffer);
            _left -= buffer.Length;
        }
    }
}
