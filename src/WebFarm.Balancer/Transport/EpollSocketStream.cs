using System.Runtime.CompilerServices;
using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// The smallest <see cref="Stream"/> over an <see cref="EpollSocket"/>, for the https listeners' SslStream
/// (<see cref="Tls.TlsTermination"/>): a read is one recv() into the caller's buffer when bytes are there (else it waits
/// for the loop's readiness report), a write one send(). A zero-byte read waits until the socket is readable without
/// taking a buffer, as the piped transport's receive loop does, so an idle TLS connection holds no receive buffer.
/// Asynchronous only: SslStream calls nothing else on it.
/// </summary>
internal sealed class EpollSocketStream(EpollSocket socket) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => buffer.IsEmpty ? WaitAsync() : socket.ReceiveAsync(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => socket.SendAsync(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends go straight to the kernel: nothing is buffered here.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // A keep-alive connection's wait for its next request always completes later: pooled, so it allocates nothing per
    // request (SslStream awaits it once).
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAsync()
    {
        await socket.WaitUntilReceivableAsync().ConfigureAwait(false);
        return 0;
    }
}
