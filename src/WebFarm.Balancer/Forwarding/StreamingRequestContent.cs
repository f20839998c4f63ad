using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The client's request body streamed to the server as it arrives: read from Kestrel's pipe and written to
/// the upstream stream segment by segment (no intermediate buffer), flushed each time so that streaming
/// protocols (gRPC, long uploads the server processes as they come) see data at once. Backpressure is natural:
/// we read the next segment only after the upstream write completed.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly PipeReader _body;
    private readonly ExchangeCancellation _exchange;
    private readonly int _generation;
    private long _bytes;

    public StreamingRequestContent(HttpRequest request, ExchangeCancellation exchange)
    {
        _body = request.BodyReader;
        _exchange = exchange;
        _generation = exchange.Generation;
    }

    /// <summary>True once the handler asked for the body: from then on the client's body is (partly) consumed.</summary>
    public bool Started { get; private set; }

    public long BytesRead => Interlocked.Read(ref _bytes);

    /// <summary>The error reading the client's body, when that is what failed (not the server).</summary>
    public Exception? ClientError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Started = true;
        var first = true;
        while (true)
        {
            ReadResult result;
            if (!first)
            {
                result = await ReadClientBodyAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (!TryReadClientBody(out result))
            {
                // SocketsHttpHandler holds the request head back until the body's first write (HTTP/1.1 and HTTP/2
                // alike). When the client has sent no body yet, send the head now: a streaming server that answers
                // before reading (gRPC server streams, long polls) must see the request at once.
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                result = await ReadClientBodyAsync(cancellationToken).ConfigureAwait(false);
            }

            first = false;
            var buffer = result.Buffer;
            try
            {
                if (!buffer.IsEmpty)
                {
                    foreach (var segment in buffer)
                    {
                        await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                    }

                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _bytes, buffer.Length);
                    _exchange.ResetTimeout(_generation);
                }
            }
            finally
            {
                _body.AdvanceTo(buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private bool TryReadClientBody(out ReadResult result)
    {
        try
        {
            return _body.TryRead(out result);
        }
        catch (Exception ex)
        {
            ClientError = ex;
            throw;
        }
    }

    private async ValueTask<ReadResult> ReadClientBodyAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _body.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ClientError = ex;
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
