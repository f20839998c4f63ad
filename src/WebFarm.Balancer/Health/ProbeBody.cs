using System.Buffers;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Where the direct HTTP/1.1 probe (<see cref="Http1HealthExchange"/>) puts a health response: the status and the
/// first <see cref="HealthProbe.MaxBodyBytes"/> of the decoded body, nothing more. Once that much has arrived it
/// reports itself "gone" (<see cref="FlushAsync"/> false), which makes the shared body copiers stop reading, and the
/// connection is closed rather than drained.
/// </summary>
internal sealed class ProbeBody : IHttp1ResponseTarget, IDisposable
{
    private byte[]? _buffer;

    /// <summary>The response status, once a final head arrived.</summary>
    public int? Status { get; private set; }

    /// <summary>The body bytes kept (at most <see cref="HealthProbe.MaxBodyBytes"/>).</summary>
    public ReadOnlySpan<byte> Bytes => _buffer is null ? default : _buffer.AsSpan(0, Length);

    public int Length { get; private set; }

    public bool IsFull => Length >= HealthProbe.MaxBodyBytes;

    public bool HasStarted => Status is not null;

    /// <summary>A final response head with <paramref name="status"/> arrived; its body follows.</summary>
    public void Start(int status) => Status = status;

    public void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId)
        => Start(head.StatusCode);

    public void Write(ReadOnlySpan<byte> body)
    {
        var take = Math.Min(body.Length, HealthProbe.MaxBodyBytes - Length);
        if (take <= 0)
        {
            return;
        }

        _buffer ??= ArrayPool<byte>.Shared.Rent(HealthProbe.MaxBodyBytes);
        body[..take].CopyTo(_buffer.AsSpan(Length));
        Length += take;
    }

    public ValueTask<bool> FlushAsync(ExchangeCancellation exchange) => ValueTask.FromResult(!IsFull);

    public void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // Trailers play no part in a health verdict.
    }

    public ValueTask<bool> CompleteAsync(ExchangeCancellation exchange) => ValueTask.FromResult(true);

    public ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false) => ValueTask.CompletedTask;

    public void Abort()
    {
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
