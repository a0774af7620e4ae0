using System.Security.Cryptography;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>A write-only stream that hashes (SHA-256) and counts every byte on its way to the file.</summary>
/// <remarks>An I/O failure (a full disk) becomes an <see cref="ArchiveWriteException"/> naming the archived file.</remarks>
internal sealed class HashingWriteStream(Stream inner, string relativePath) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    public string HashHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        try
        {
            inner.Write(buffer);
        }
        catch (IOException ex)
        {
            throw ArchiveWriteException.CannotWrite(relativePath, ex);
        }

        BytesWritten += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException ex)
        {
            throw ArchiveWriteException.CannotWrite(relativePath, ex);
        }

        BytesWritten += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        try
        {
            inner.Flush();
        }
        catch (IOException ex)
        {
            throw ArchiveWriteException.CannotWrite(relativePath, ex);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.FlushAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw ArchiveWriteException.CannotWrite(relativePath, ex);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
