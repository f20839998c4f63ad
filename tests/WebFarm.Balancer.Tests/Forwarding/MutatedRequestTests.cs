using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// The randomized half of issue 13: thousands of valid request heads mutated (bytes flipped, inserted, removed; header
/// lines with names and values from a hostile alphabet), each sent on its own connection and half-closed, through a
/// real balancer to a <see cref="RecordingBackend"/> that judges framing strictly. For each: the balancer answers,
/// refuses or closes (never hangs); the server gets nothing or a request with unambiguous framing; no server is
/// marked failed (passive health ejects at the first failure); the balancer still serves afterwards. The seed is fixed
/// and printed with every failure, so a failing case can be replayed.
/// </summary>
public sealed class MutatedRequestTests
{
    private const int Seed = 20261306;
    private const int MaxCases = 2000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);

    private static readonly string[] Bases =
    [
        "GET /shop/item?id=7 HTTP/1.1\r\nHost: shop.test\r\nAccept: */*\r\nCookie: a=1\r\n\r\n",
        "HEAD / HTTP/1.1\r\nHost: shop.test\r\nConnection: keep-alive\r\n\r\n",
        "POST /cart HTTP/1.1\r\nHost: shop.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        "POST /upload HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "DELETE /cart/1 HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 203.0.113.1\r\nConnection: close\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: shop.test\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    ];

    private static readonly byte[] Hostile =
        [(byte)'\r', (byte)'\n', 0, 0x7f, 0x80, 0xa9, 0xc3, 0xff, (byte)':', (byte)' ', (byte)'\t', (byte)',', (byte)'#', (byte)'+', (byte)'"', (byte)'a', (byte)'0', 0x0b];

    private static readonly string[] Names =
        ["Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Host", "Expect", "TE", "X-Forwarded-For", "X-A", "Forwarded", "HTTP2-Settings"];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Mutated_request_heads_are_answered_or_refused_and_never_reach_a_server_ambiguously(bool frontEnd)
    {
        await using var backend = new RecordingBackend();
        await using var balancer = await HostileRequestTests.StartAsync(backend, frontEnd);
        var random = new Random(Seed + (frontEnd ? 1 : 0));
        var clock = Stopwatch.StartNew();
        var cases = 0;
        var judged = 0;
        for (; cases < MaxCases && clock.Elapsed < Budget; cases++)
        {
            var request = Mutate(random, Encoding.Latin1.GetBytes(Bases[random.Next(Bases.Length)]));
            var what = $"seed {Seed + (frontEnd ? 1 : 0)}, case {cases}, request \"{Escape(request)}\"";
            await SendAsync(balancer.Uri, request, what);

            var received = backend.Requests;
            for (; judged < received.Count; judged++)
            {
                Assert.True(received[judged].FramingError is null, $"{what}: the server got an ambiguous request: {received[judged]}");
            }

            if (cases % 50 == 49)
            {
                await HostileRequestTests.AssertHealthyAsync(balancer, $"by case {cases} or one of the 49 before ({what})");
            }
        }

        await HostileRequestTests.AssertHealthyAsync(balancer, $"after {cases} cases (seed {Seed})");

        // Still up and serving.
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        await RawHttp.WriteAsync(tcp.GetStream(), "GET /after HTTP/1.1\r\nHost: shop.test\r\n\r\n");
        Assert.Equal(200, (await RawHttp.ReadResponseAsync(tcp.GetStream())).Status);
        Assert.True(cases >= 200, $"only {cases} cases ran within {Budget}");

        // Not vacuous: many mutations still make a request the server must get (one flipped byte in a value, say).
        Assert.True(backend.Requests.Count >= cases / 10, $"only {backend.Requests.Count} of {cases} cases reached the server");
    }

    /// <summary>Sends, half-closes, and reads until the balancer closes: it must do so (after answering or not) in time.</summary>
    private static async Task SendAsync(Uri balancer, byte[] request, string what)
    {
        using var tcp = await RawHttp.ConnectAsync(balancer);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request);
            tcp.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The balancer refused early and closed while we were still sending: a refusal too.
            return;
        }

        using var timeout = new CancellationTokenSource(PerCase);
        var buffer = new byte[8192];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset: closed.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{what}: the balancer neither answered nor closed within {PerCase}");
        }
    }

    private static byte[] Mutate(Random random, byte[] request)
    {
        var bytes = new List<byte>(request);
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = Hostile[random.Next(Hostile.Length)];
                    break;
                case 1:
                    bytes.Insert(at, Hostile[random.Next(Hostile.Length)]);
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes[at] = (byte)random.Next(256);
                    break;
                default:
                    // A whole header line after the request line, its name and value from the hostile alphabet.
                    var lineEnd = IndexOf(bytes, (byte)'\n');
                    if (lineEnd >= 0)
                    {
                        bytes.InsertRange(lineEnd + 1, Encoding.Latin1.GetBytes(HostileLine(random)));
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static string HostileLine(Random random)
    {
        var name = new StringBuilder(Names[random.Next(Names.Length)]);
        var value = new StringBuilder(random.Next(3) switch { 0 => "chunked", 1 => "5", _ => "keep-alive, X-A" });
        for (var i = random.Next(3); i > 0; i--)
        {
            var target = random.Next(2) == 0 ? name : value;
            target.Insert(random.Next(target.Length + 1), (char)Hostile[random.Next(Hostile.Length)]);
        }

        return $"{name}: {value}\r\n";
    }

    private static int IndexOf(List<byte> bytes, byte value)
    {
        for (var i = 0; i < bytes.Count; i++)
        {
            if (bytes[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7f and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return text.ToString();
    }
}
