using System.Text;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>Keeps what the chunked decoder delivers: the decoded body bytes and the trailers ("name: value").</summary>
internal sealed class RecordingResponseTarget : IHttp1ResponseTarget
{
    private readonly MemoryStream _body = new();

    public bool HasStarted => true;

    public List<string> Trailers { get; } = [];

    public byte[] Body => _body.ToArray();

    public void Write(ReadOnlySpan<byte> body) => _body.Write(body);

    public ValueTask<bool> FlushAsync(ExchangeCancellation exchange) => ValueTask.FromResult(true);

    public void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        => Trailers.Add($"{Encoding.Latin1.GetString(name)}: {Encoding.Latin1.GetString(value)}");

    public void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId)
        => throw new InvalidOperationException("the decoder only delivers the body");

    public ValueTask<bool> CompleteAsync(ExchangeCancellation exchange) => throw new InvalidOperationException("the decoder only delivers the body");

    public ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false)
        => throw new InvalidOperationException("the decoder only delivers the body");

    public void Abort() => throw new InvalidOperationException("the decoder only delivers the body");
}
