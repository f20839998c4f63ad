using System.Net.Sockets;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Health;

/// <summary>
/// One health request to an http:// server over HTTP/1.1, on the balancer's own HTTP/1.1 client pieces instead of
/// SocketsHttpHandler: the request head from <see cref="Http1RequestHead"/>, the response head from
/// <see cref="Http1ResponseParser"/>, the body through <see cref="Http1Forwarder"/>'s copiers (Content-Length,
/// chunked, until close), so a probe judges a response by the same parsing rules as the traffic. A new connection
/// per probe, closed afterwards ("Connection: close"), never one of the traffic's pooled connections: a server that
/// stopped accepting connections must not look healthy through an old one. Why not SocketsHttpHandler: in a
/// plain-HTTP balancer it was the only user of System.Net.Http's client, whose code and JIT time (tens of seconds
/// of tier-up on a busy core, see bench/balancer/run.sh) and memory a balancer should not pay for a GET every few
/// seconds.
/// </summary>
internal static class Http1HealthExchange
{
    private static ReadOnlySpan<byte> HeaderLines => "User-Agent: WebFarm-HealthCheck/1.0\r\nConnection: close\r\n"u8;

    /// <summary>
    /// Sends GET <paramref name="url"/> and reads the answer into <paramref name="body"/>. Returns null when a whole
    /// response (or the first <see cref="HealthProbe.MaxBodyBytes"/> of its body) arrived, else why it did not.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the probe's timeout or its caller).</exception>
    public static async Task<string?> RunAsync(Uri url, string? host, ProbeBody body, CancellationToken cancellationToken)
    {
        Http1Connection connection;
        try
        {
            connection = new Http1Connection(await SocketChannel.ConnectAsync(Http1ConnectionPool.EndPointOf(url), cancellationToken).ConfigureAwait(false));
        }
        catch (SocketException ex)
        {
            return HealthProbe.Describe(ex);
        }

        using (connection)
        {
            // The probe's deadline closes the socket, which fails whatever send or receive is pending.
            using var abort = cancellationToken.UnsafeRegister(static state => ((Http1Connection)state!).Abort(), connection);
            string? failure;
            try
            {
                failure = await ExchangeAsync(connection, url, host ?? Http1ConnectionPool.HostHeaderOf(url), body).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            // A failure caused by the deadline's close is the deadline's.
            if (failure is not null && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            return failure;
        }
    }

    private static async Task<string?> ExchangeAsync(Http1Connection connection, Uri url, string host, ProbeBody body)
    {
        Http1ResponseHead response;
        try
        {
            await SendAsync(connection, url.PathAndQuery, host).ConfigureAwait(false);
            while (true)
            {
                if (!Http1ResponseParser.TryParse(connection.Buffered, requestWasHead: false, out response))
                {
                    var received = await connection.ReceiveAsync().ConfigureAwait(false);
                    connection.OnReceived(received);
                    if (received == 0)
                    {
                        return "connection closed before a complete response";
                    }

                    continue;
                }

                if (!response.IsInterim)
                {
                    break;
                }

                // 100 Continue, 103 Early Hints: the final answer follows.
                connection.Consume(response.Length);
            }
        }
        catch (Http1ProtocolException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return HealthProbe.Describe(ex);
        }

        body.Start(response.StatusCode);
        connection.Consume(response.Length);
        var exchange = ExchangeCancellation.Rent(CancellationToken.None, Timeout.InfiniteTimeSpan);
        try
        {
            var copy = response.Framing switch
            {
                Http1BodyFraming.None => default,
                Http1BodyFraming.ContentLength => await Http1Forwarder.CopyFixedLengthAsync(connection, body, response.ContentLength, exchange).ConfigureAwait(false),
                Http1BodyFraming.Chunked => await Http1Forwarder.CopyChunkedAsync(connection, body, exchange).ConfigureAwait(false),
                _ => await Http1Forwarder.CopyUntilCloseAsync(connection, body, exchange).ConfigureAwait(false),
            };

            return copy.UpstreamError switch
            {
                null => null,
                Http1ProtocolException invalid => invalid.Message,
                { } error => "connection failed while reading the body: " + error.Message,
            };
        }
        finally
        {
            exchange.Return();
        }
    }

    private static ValueTask SendAsync(Http1Connection connection, string target, string host)
    {
        // The head's buffer is rented; a send that completes later still holds it, so it goes back after the await.
        var head = Http1RequestHead.CreateGet(target, host, HeaderLines);
        var sending = connection.SendAsync(head.Bytes);
        if (sending.IsCompletedSuccessfully)
        {
            head.Dispose();
            return default;
        }

        return AwaitAndReturn(sending, head);

        static async ValueTask AwaitAndReturn(ValueTask sending, Http1RequestHead head)
        {
            try
            {
                await sending.ConfigureAwait(false);
            }
            finally
            {
                head.Dispose();
            }
        }
    }
}
