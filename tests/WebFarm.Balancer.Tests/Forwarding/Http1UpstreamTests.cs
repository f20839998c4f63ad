using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// Bodyless requests to HTTP/1.1 servers, as seen from both ends of the wire: connection reuse and its limits,
/// response framing (Content-Length, chunked with extensions and trailers, read-until-close, HEAD/204/304, 1xx),
/// malformed responses before and after the head reached the client, the request head the server receives,
/// and timeouts and client disconnects on pooled connections. The servers are scripted byte by byte so that
/// what the balancer sends and how many connections it opens can be observed exactly.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class Http1UpstreamTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>What a scripted server does with one request head: answer it (true keeps reading the connection) or stop (false closes it).</summary>
    private delegate Task<bool> Answer(NetworkStream stream, int connection, int request, string head, CancellationToken cancellationToken);

    /// <summary>
    /// A raw server that reads request heads in a loop on each connection and lets <paramref name="answer"/> respond.
    /// Connections are numbered from 1 in accept order, requests from 1 per connection.
    /// </summary>
    private static RawHttp.Server KeepAliveServer(Answer answer)
    {
        var connections = 0;
        return new RawHttp.Server(async (stream, ct) =>
        {
            var connection = Interlocked.Increment(ref connections);
            for (var request = 1; ; request++)
            {
                var head = await RawHttp.ReadHeadAsync(stream, ct);
                if (head.Length == 0 || !await answer(stream, connection, request, head, ct))
                {
                    return;
                }
            }
        });
    }

    private static FarmOptions NoRetries(FarmOptions f) => f with { Retries = new RetryOptions { MaxAttempts = 1 } };

    /// <summary>Farm "bad" (one server named "broken1" at <paramref name="badAddress"/>) for everything, farm "good" for /good.</summary>
    private static BalancerConfig BadAndGoodFarms(string badAddress, string goodAddress) => new()
    {
        Farms = new Dictionary<string, FarmOptions>
        {
            ["bad"] = NoRetries(new FarmOptions { Servers = [new ServerOptions { Name = "broken1", Address = badAddress }] }),
            ["good"] = new FarmOptions { Servers = [new ServerOptions { Name = "fine1", Address = goodAddress }] },
        },
        Routes = [new RouteOptions { Farm = "bad" }, new RouteOptions { Path = "/good", Farm = "good" }],
    };

    private static async Task AssertBadGatewayNamingAsync(HttpResponseMessage response, string serverName)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"expected 502, got {(int)response.StatusCode}: {body}");
        Assert.Contains($"'{serverName}'", body);
        Assert.Contains(response.Headers.GetValues("X-Request-Id").Single(), body);
    }

    private static async Task AssertGoodFarmStillServesAsync(TestBalancer balancer)
    {
        using var response = await balancer.Client.GetAsync("/good/after");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("good", await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> GetOkAsync(TestBalancer balancer, string path)
    {
        using var response = await balancer.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: expected 200, got {(int)response.StatusCode}: {body}");
        return body;
    }



    [Fact]
    public async Task Sequential_requests_reuse_one_keep_alive_connection()
    {
        var requests = 0;
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            Interlocked.Increment(ref requests);
            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("ok", await GetOkAsync(balancer, $"/r{i}"));
        }

        Assert.Equal(20, Volatile.Read(ref requests));
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connection_close_from_the_server_is_honoured(bool serverCloses)
    {
        // With serverCloses=false the server keeps its end open after "Connection: close": the balancer itself must
        // close the connection and never send a second request on it.
        var reusedAfterClose = 0;
        var closedByBalancer = 0;
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            if (serverCloses)
            {
                stream.Socket.Shutdown(SocketShutdown.Both);
                return;
            }

            while (true)
            {
                var next = await RawHttp.ReadHeadAsync(stream, ct);
                if (next.Length == 0)
                {
                    Interlocked.Increment(ref closedByBalancer);
                    return;
                }

                Interlocked.Increment(ref reusedAfterClose);
                await RawHttp.WriteAsync(stream, Ok);
            }
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("ok", await GetOkAsync(balancer, $"/c{i}"));
        }

        Assert.Equal(5, server.Connections);
        if (!serverCloses)
        {
            await Eventually.True(() => Volatile.Read(ref closedByBalancer) == 5, Deadline, "the balancer closes each connection the server marked 'Connection: close'");
        }

        Assert.Equal(0, Volatile.Read(ref reusedAfterClose));
    }

    [Fact]
    public async Task A_pooled_connection_the_server_closed_while_idle_is_not_used()
    {
        var firstClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, Ok);
            if (connection == 1)
            {
                // Answered keep-alive, then closes while the connection sits idle in the balancer's pool.
                stream.Socket.Shutdown(SocketShutdown.Both);
                firstClosed.TrySetResult();
                return false;
            }

            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));

        Assert.Equal("ok", await GetOkAsync(balancer, "/first"));
        await firstClosed.Task.WaitAsync(Deadline);
        Assert.Equal("ok", await GetOkAsync(balancer, "/second"));
        Assert.Equal("ok", await GetOkAsync(balancer, "/third"));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Idle_connections_the_server_closed_leave_the_pool_without_a_request()
    {
        // The server closes every connection right after answering keep-alive: without the periodic sweep the
        // balancer would keep those sockets (in CLOSE_WAIT) until a request came to find them dead.
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, Ok);
            stream.Socket.Shutdown(SocketShutdown.Both);
            return false;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));
        var transport = balancer.Runtime.Farms["web"].View.Transport;

        var parallel = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => GetOkAsync(balancer, "/p" + i)));
        Assert.All(parallel, body => Assert.Equal("ok", body));

        // The sweep runs every 5 s; the server's closes must empty the pool within a couple of sweeps.
        await Eventually.True(() => transport.IdleHttp1Connections == 0, TimeSpan.FromSeconds(20), "the closed connections left the pool");
        Assert.Equal("ok", await GetOkAsync(balancer, "/after"));
    }

    [Fact]
    public async Task A_reused_connection_closed_without_an_answer_is_retried_transparently()
    {
        var heads = new System.Collections.Concurrent.ConcurrentQueue<(int Connection, string Line)>();
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            heads.Enqueue((connection, head[..head.IndexOf('\r')]));
            if (connection == 1 && request == 2)
            {
                // Took the second request, then closed without a byte of response (an idle-timeout race on a real server).
                stream.Socket.Shutdown(SocketShutdown.Both);
                return false;
            }

            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });

        // One attempt per request at the forwarder: the retry must come from the connection pool, not the retry policy.
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));

        Assert.Equal("ok", await GetOkAsync(balancer, "/first"));
        Assert.Equal("ok", await GetOkAsync(balancer, "/second"));

        Assert.Equal(2, server.Connections);
        Assert.Equal(
            [(1, "GET /first HTTP/1.1"), (1, "GET /second HTTP/1.1"), (2, "GET /second HTTP/1.1")],
            heads.OrderBy(h => h.Connection).ToArray());
    }

    [Fact]
    public async Task Read_until_close_body_arrives_whole_and_the_connection_is_not_reused()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody ");
            await RawHttp.WriteAsync(stream, "until close");
            stream.Socket.Shutdown(SocketShutdown.Both);
            return false;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));

        Assert.Equal("body until close", await GetOkAsync(balancer, "/a"));
        Assert.Equal("body until close", await GetOkAsync(balancer, "/b"));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Chunked_response_with_extensions_and_trailers()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n");
            return true;
        });

        await using (var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address])))
        {
            Assert.Equal("hello", await GetOkAsync(balancer, "/1"));

            // The trailer section was consumed exactly: the same connection carries the next exchange.
            Assert.Equal("hello", await GetOkAsync(balancer, "/2"));
            Assert.Equal(1, server.Connections);
        }

        await using (var h2 = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]), protocols: ListenProtocols.Http2))
        {
            using var response = await h2.Client.GetAsync("/t");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new Version(2, 0), response.Version);
            Assert.Equal("hello", await response.Content.ReadAsStringAsync());
            Assert.Equal("abc", response.TrailingHeaders.GetValues("X-Checksum").Single());
        }
    }

    [Fact]
    public async Task Interim_1xx_responses_are_skipped()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, "HTTP/1.1 100 Continue\r\n\r\n");
            await RawHttp.WriteAsync(stream, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Final: yes\r\n\r\nhello");
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        for (var i = 0; i < 2; i++)
        {
            using var response = await balancer.Client.GetAsync("/hints");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("yes", response.Headers.GetValues("X-Final").Single());
            Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, server.Connections);
    }

    private static string MalformedResponse(string kind) => kind switch
    {
        "garbage-status-line" => "HELLO\r\n\r\n",
        "two-digit-status" => "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok",
        "header-without-colon" => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNoColonHere\r\n\r\nok",
        "obs-fold" => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n  folded\r\n\r\nok",
        "two-content-lengths" => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "content-length-not-a-number" => "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
        "head-over-64KiB" => "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 100 * 1024) + "\r\nContent-Length: 2\r\n\r\nok",
        "closed-mid-head" => "HTTP/1.1 200 OK\r\nContent-Le",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // Malformed heads: nothing reached the client yet, so it gets a 502.
    [Theory]
    [InlineData("garbage-status-line")]
    [InlineData("two-digit-status")]
    [InlineData("header-without-colon")]
    [InlineData("obs-fold")]
    [InlineData("two-content-lengths")]
    [InlineData("content-length-not-a-number")]
    [InlineData("head-over-64KiB")]
    [InlineData("closed-mid-head")]
    public Task Malformed_response_head_is_502_naming_the_server(string kind) => MalformedHeadIs502Async(kind, direct: true);

    // The same through SocketsHttpHandler (DirectHttp1 off), for what it lets through and Kestrel then refuses.
    [Theory]
    [InlineData("garbage-status-line")]
    [InlineData("two-content-lengths")]
    [InlineData("content-length-not-a-number")]
    [InlineData("closed-mid-head")]
    public Task Malformed_response_head_is_502_through_SocketsHttpHandler_too(string kind) => MalformedHeadIs502Async(kind, direct: false);

    private static async Task MalformedHeadIs502Async(string kind, bool direct)
    {
        var bytes = Encoding.ASCII.GetBytes(MalformedResponse(kind));
        await using var bad = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await stream.WriteAsync(bytes, ct);
            stream.Socket.Shutdown(SocketShutdown.Both);
        });
        await using var good = await TestBackend.StartNamedAsync("good");
        var config = BadAndGoodFarms(bad.Address, good.Address);
        config = config with { Farms = new Dictionary<string, FarmOptions>(config.Farms) { ["bad"] = config.Farms["bad"] with { DirectHttp1 = direct } } };
        await using var balancer = await TestBalancer.StartAsync(config);

        using (var response = await balancer.Client.GetAsync("/" + kind))
        {
            await AssertBadGatewayNamingAsync(response, "broken1");
        }

        await AssertGoodFarmStillServesAsync(balancer);
    }

    // Failures after the 200 head (and part of the body) reached the client: only an abort can tell it.
    [Theory]
    [InlineData("bad-chunk-size")]
    [InlineData("short-content-length-body")]
    public async Task Malformed_body_after_the_head_went_out_aborts_the_client_connection(string kind)
    {
        var clientGotPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var bad = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, kind == "bad-chunk-size"
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
            await clientGotPart.Task.WaitAsync(Deadline, ct);
            if (kind == "bad-chunk-size")
            {
                // Kept open afterwards: the balancer must reject the chunk size itself, not wait for the close.
                await RawHttp.WriteAsync(stream, "zz\r\n");
                await Task.Delay(Timeout.Infinite, ct);
            }

            stream.Socket.Shutdown(SocketShutdown.Both);
        });
        await using var good = await TestBackend.StartNamedAsync("good");
        await using var balancer = await TestBalancer.StartAsync(BadAndGoodFarms(bad.Address, good.Address));

        using (var response = await balancer.Client.GetAsync("/" + kind, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stream = await response.Content.ReadAsStreamAsync();
            var part = new byte[5];
            await stream.ReadExactlyAsync(part).AsTask().WaitAsync(Deadline);
            Assert.Equal("hello", Encoding.ASCII.GetString(part));
            clientGotPart.TrySetResult();

            var error = await Assert.ThrowsAnyAsync<Exception>(() => stream.CopyToAsync(Stream.Null).WaitAsync(Deadline));
            Assert.True(error is HttpRequestException or IOException, "expected the client connection to be aborted, got " + error);
        }

        await AssertGoodFarmStillServesAsync(balancer);
    }

    // A bad chunk size right behind the head: a 502 if the balancer had not sent the head yet, else an abort.
    [Fact]
    public async Task Bad_chunk_size_right_after_the_head_never_reaches_the_client_as_a_clean_response()
    {
        await using var bad = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var good = await TestBackend.StartNamedAsync("good");
        await using var balancer = await TestBalancer.StartAsync(BadAndGoodFarms(bad.Address, good.Address));

        using (var response = await balancer.Client.GetAsync("/zz", HttpCompletionOption.ResponseHeadersRead))
        {
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync().WaitAsync(Deadline));
                Assert.True(error is HttpRequestException or IOException, "expected the client connection to be aborted, got " + error);
            }
            else
            {
                await AssertBadGatewayNamingAsync(response, "broken1");
            }
        }

        await AssertGoodFarmStillServesAsync(balancer);
    }

    [Fact]
    public async Task Head_response_has_no_body_and_keeps_the_connection()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            // As HEAD requires: the framing headers the GET would have, no body bytes.
            var response = !head.StartsWith("HEAD ", StringComparison.Ordinal) ? Ok
                : head.StartsWith("HEAD /chunked ", StringComparison.Ordinal) ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
            await RawHttp.WriteAsync(stream, response);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        using (var response = await balancer.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/h")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1000, response.Content.Headers.ContentLength);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        // "Transfer-Encoding: chunked" on a HEAD response announces no chunks: waiting for them would hang here.
        using (var response = await balancer.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/chunked")).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        // On one raw client connection: had the balancer sent any body bytes after the HEAD head, they would be read
        // here in place of the GET's status line.
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var client = tcp.GetStream();
        await RawHttp.WriteAsync(client, "HEAD /h2 HTTP/1.1\r\nHost: t\r\n\r\n");
        var headHead = await RawHttp.ReadHeadAsync(client);
        Assert.StartsWith("HTTP/1.1 200", headHead);
        Assert.Equal(1000, RawHttp.ContentLength(headHead));
        await RawHttp.WriteAsync(client, "GET /g HTTP/1.1\r\nHost: t\r\n\r\n");
        var getHead = await RawHttp.ReadHeadAsync(client);
        Assert.StartsWith("HTTP/1.1 200", getHead);
        Assert.Equal("ok", await RawHttp.ReadExactlyAsync(client, RawHttp.ContentLength(getHead)));

        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task No_content_and_not_modified_keep_the_connection_reusable()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            var response = head.StartsWith("GET /204", StringComparison.Ordinal) ? "HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n"
                : head.StartsWith("GET /304", StringComparison.Ordinal) ? "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"
                : Ok;
            await RawHttp.WriteAsync(stream, response);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        for (var i = 0; i < 3; i++)
        {
            using (var noContent = await balancer.Client.GetAsync("/204"))
            {
                Assert.Equal(HttpStatusCode.NoContent, noContent.StatusCode);
                Assert.Equal("none", noContent.Headers.GetValues("X-Kind").Single());
                Assert.Empty(await noContent.Content.ReadAsByteArrayAsync());
            }

            using (var notModified = await balancer.Client.GetAsync("/304"))
            {
                Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
                Assert.Equal("\"v1\"", notModified.Headers.ETag?.Tag);
                Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
            }
        }

        Assert.Equal("ok", await GetOkAsync(balancer, "/after"));
        Assert.Equal(1, server.Connections);
    }

    private static byte[] Pattern(int size)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
        {
            data[i] = (byte)((i * 7) + (i >> 10));
        }

        return data;
    }

    [Fact]
    public async Task Large_content_length_and_chunked_responses_arrive_intact()
    {
        const int size = 4 * 1024 * 1024;
        const int chunk = 16 * 1024;
        var payload = Pattern(size);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/fixed")
            {
                context.Response.ContentLength = size;
                await context.Response.Body.WriteAsync(payload);
                return;
            }

            // No length: Kestrel sends each flushed write as one chunk.
            for (var offset = 0; offset < size; offset += chunk)
            {
                await context.Response.Body.WriteAsync(payload.AsMemory(offset, chunk));
                await context.Response.Body.FlushAsync();
            }
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        var expected = SHA256.HashData(payload);

        foreach (var path in new[] { "/fixed", "/chunked" })
        {
            using var response = await balancer.Client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (path == "/fixed")
            {
                Assert.Equal(size, response.Content.Headers.ContentLength);
            }
            else
            {
                Assert.True(response.Headers.TransferEncodingChunked);
            }

            var body = await ReadAllAsync(response, size, path);
            Assert.Equal(expected, SHA256.HashData(body));
        }
    }

    /// <summary>Reads a body of <paramref name="expected"/> bytes within the deadline; a stall fails with how far it got.</summary>
    private static async Task<byte[]> ReadAllAsync(HttpResponseMessage response, int expected, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var body = new MemoryStream(expected);
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                body.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{what}: the body stalled after {body.Length} of {expected} bytes");
        }

        Assert.True(body.Length == expected, $"{what}: got {body.Length} of {expected} bytes");
        return body.ToArray();
    }

    // Not "keep-alive, X-Hop": Kestrel keeps only the keep-alive/close token of such a Connection header, so the
    // names listed next to it never reach the forwarder (a known limitation, see docs/architecture.md).
    // Both upstream paths apply the same header rules (RequestHeaderForwarding): the last case checks SocketsHttpHandler's.
    [Theory]
    [InlineData("X-Hop", true)]
    [InlineData("X-Hop, Upgrade-Insecure", true)]
    [InlineData("X-Hop", false)]
    public async Task Request_head_as_the_server_sees_it(string connection, bool direct)
    {
        var captured = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            captured.TrySetResult(head);
            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], f => f with { DirectHttp1 = direct }));

        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var client = tcp.GetStream();
        await RawHttp.WriteAsync(client,
            "GET /a%2Fb?x=1&y=%20 HTTP/1.1\r\nHost: shop.test\r\nConnection: " + connection + "\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n" +
            "Proxy-Authorization: Basic abc\r\nX-Multi: one\r\nX-Multi: two\r\nX-End-To-End: kept\r\n\r\n");
        var responseHead = await RawHttp.ReadHeadAsync(client);
        Assert.StartsWith("HTTP/1.1 200", responseHead);
        Assert.Equal("ok", await RawHttp.ReadExactlyAsync(client, RawHttp.ContentLength(responseHead)));
        var requestId = Assert.Single(Values(HeaderLines(responseHead), "X-Request-Id"));

        var head = await captured.Task.WaitAsync(Deadline);
        Assert.Equal("GET /a%2Fb?x=1&y=%20 HTTP/1.1", head[..head.IndexOf("\r\n", StringComparison.Ordinal)]);
        Assert.EndsWith("\r\n\r\n", head);
        var headers = HeaderLines(head);
        Assert.Equal(["shop.test"], Values(headers, "Host"));
        Assert.Equal(["127.0.0.1"], Values(headers, "X-Forwarded-For"));
        Assert.Equal(["http"], Values(headers, "X-Forwarded-Proto"));
        Assert.Equal(["shop.test"], Values(headers, "X-Forwarded-Host"));
        Assert.Equal([requestId], Values(headers, "X-Request-Id"));
        Assert.Equal(["kept"], Values(headers, "X-End-To-End"));
        foreach (var hopByHop in new[] { "Connection", "Keep-Alive", "Proxy-Authorization", "X-Hop", "Transfer-Encoding", "Content-Length" })
        {
            Assert.True(Values(headers, hopByHop).Count == 0, $"'{hopByHop}' must not reach the server:\n{head}");
        }

        var multi = Values(headers, "X-Multi");
        Assert.True(
            multi.SequenceEqual(["one", "two"]) || multi.SequenceEqual(["one, two"]) || multi.SequenceEqual(["one,two"]),
            "both X-Multi values, in order: " + string.Join(" | ", multi));
    }

    [Fact]
    public async Task Response_headers_keep_repeated_set_cookie_and_drop_connection_level_ones()
    {
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream,
                "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nConnection: keep-alive\r\n" +
                "Keep-Alive: timeout=5, max=100\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n2\r\nok\r\n0\r\n\r\n");
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        // Raw, to see the lines exactly as they go out to the client.
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var client = tcp.GetStream();
        await RawHttp.WriteAsync(client, "GET /cookies HTTP/1.1\r\nHost: t\r\n\r\n");
        var head = await RawHttp.ReadHeadAsync(client);
        Assert.StartsWith("HTTP/1.1 200", head);
        var headers = HeaderLines(head);
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], Values(headers, "Set-Cookie"));
        Assert.Equal(["yes"], Values(headers, "X-Kept"));
        Assert.Empty(Values(headers, "Keep-Alive"));
        Assert.DoesNotContain(Values(headers, "Connection"), v => v.Contains("keep-alive", StringComparison.OrdinalIgnoreCase));

        // The balancer frames the body for its own connection: at most its own single "chunked", never the server's copy on top.
        Assert.True(Values(headers, "Transfer-Encoding").Count <= 1, head);

        // And a real client reads the body through whatever framing the balancer chose.
        using var response = await balancer.Client.GetAsync("/cookies");
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Keep-Alive"));
    }

    [Fact]
    public async Task Response_headers_timeout_on_a_reused_connection_is_504_and_the_connection_is_dropped()
    {
        var firstConnectionClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            if (connection == 1 && request == 2)
            {
                // Never answers; waits for the balancer to give up on this connection.
                var buffer = new byte[256];
                try
                {
                    while (await stream.ReadAsync(buffer, ct) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                }

                firstConnectionClosed.TrySetResult();
                return false;
            }

            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        var config = TestBalancer.SingleFarm([server.Address], f => NoRetries(f) with { Timeouts = new TimeoutOptions { ResponseHeaders = TimeSpan.FromSeconds(1) } });
        await using var balancer = await TestBalancer.StartAsync(config);

        Assert.Equal("ok", await GetOkAsync(balancer, "/first"));

        var clock = Stopwatch.StartNew();
        using (var response = await balancer.Client.GetAsync("/stuck"))
        {
            var elapsed = clock.Elapsed;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, $"expected 504, got {(int)response.StatusCode}: {body}");
            Assert.Contains("'web1'", body);
            Assert.True(elapsed >= TimeSpan.FromMilliseconds(900), $"gave up after {elapsed}, before the 1s timeout");
            Assert.True(elapsed < Deadline, $"took {elapsed}");
        }

        await firstConnectionClosed.Task.WaitAsync(Deadline);
        Assert.Equal("ok", await GetOkAsync(balancer, "/after"));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Client_disconnect_while_the_server_is_slow_closes_the_upstream_connection()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstreamClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            received.TrySetResult();
            var buffer = new byte[256];
            try
            {
                while (await stream.ReadAsync(buffer, ct) > 0)
                {
                }
            }
            catch (IOException)
            {
            }

            upstreamClosed.TrySetResult();
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));

        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            await RawHttp.WriteAsync(tcp.GetStream(), "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            await received.Task.WaitAsync(Deadline);
            RawHttp.Reset(tcp);
        }

        await upstreamClosed.Task.WaitAsync(Deadline);
        var farm = balancer.Runtime.Farms["web"];
        await Eventually.True(() => farm.Servers[0].InFlight == 0, Deadline, "the aborted request ends");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DirectHttp1_chooses_which_client_carries_bodyless_requests(bool direct)
    {
        var heads = new List<string>();
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            lock (heads)
            {
                heads.Add(head);
            }

            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], f => f with { DirectHttp1 = direct }));

        Assert.Equal("ok", await GetOkAsync(balancer, "/one"));
        Assert.Equal("ok", await GetOkAsync(balancer, "/two"));

        // The direct path keeps its connection in its own pool; SocketsHttpHandler keeps it in its own. The connection
        // goes back to the pool just after the response's last byte went to the client: wait for it.
        var transport = balancer.Runtime.Farms["web"].View.Transport;
        await Eventually.True(() => transport.IdleHttp1Connections == (direct ? 1 : 0), Deadline, $"{transport.IdleHttp1Connections} idle direct-path connection(s)");
        Assert.Equal(1, server.Connections);
        Assert.Equal(2, heads.Count);
    }

    [Fact]
    public async Task A_server_address_with_a_path_prefixes_every_request_target()
    {
        var targets = new List<string>();
        await using var server = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            lock (targets)
            {
                targets.Add(head[..head.IndexOf("\r\n", StringComparison.Ordinal)]);
            }

            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address + "/app/"]));

        Assert.Equal("ok", await GetOkAsync(balancer, "/"));
        Assert.Equal("ok", await GetOkAsync(balancer, "/a/b?c=1"));

        Assert.Equal(["GET /app/ HTTP/1.1", "GET /app/a/b?c=1 HTTP/1.1"], targets);
    }

    [Fact]
    public async Task A_reload_that_moves_a_server_sends_new_requests_to_the_new_address()
    {
        await using var first = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
            return true;
        });
        await using var second = KeepAliveServer(async (stream, connection, request, head, ct) =>
        {
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([first.Address]));
        Assert.Equal("first", await balancer.Client.GetStringAsync("/"));

        balancer.Runtime.Apply(TestBalancer.SingleFarm([second.Address]));

        Assert.Equal("second", await balancer.Client.GetStringAsync("/"));
        Assert.Equal(1, first.Connections);
    }
}
