namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// Where the direct HTTP/1.1 upstream path delivers a server's response: Kestrel's response for requests that came
/// through Kestrel (<see cref="KestrelResponseTarget"/>), or the client connection itself for requests the HTTP/1.1
/// front end serves (<see cref="FrontEnd.FrontEndClient"/>). The exchange with the server (pooling, parsing,
/// framing, failures) is the same for both; only what the client gets written differs.
/// </summary>
internal interface IHttp1ResponseTarget
{
    /// <summary>True once any part of the response may have reached the client: an error response is no longer possible.</summary>
    bool HasStarted { get; }

    /// <summary>Starts the client's response from a head <see cref="Http1ResponseParser.TryParse"/> accepted; <paramref name="data"/> begins with it.</summary>
    void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId);

    /// <summary>Body bytes, already decoded from the server's framing.</summary>
    void Write(ReadOnlySpan<byte> body);

    /// <summary>Pushes what was written to the client; false when the client is gone.</summary>
    ValueTask<bool> FlushAsync(ExchangeCancellation exchange);

    /// <summary>A trailer field of a chunked body (already checked: not hop-by-hop, no unsafe bytes).</summary>
    void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);

    /// <summary>The body is complete: end the client's response and push out what is still buffered; false when the client is gone.</summary>
    ValueTask<bool> CompleteAsync(ExchangeCancellation exchange);

    /// <summary>Answers with a short error response (nothing was sent yet), or aborts the client's response when it had started.</summary>
    ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false);

    /// <summary>The client went away or the response cannot be completed: tear down the client's side.</summary>
    void Abort();
}
