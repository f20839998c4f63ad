using WebFarm.Balancer.FrontEnd;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// Tables for the front end's request-head parser (<see cref="ClientRequestHead"/>), in the manner of Kestrel's
/// HttpParsingData: heads it serves itself with every field it must report, heads it hands to Kestrel (anything it
/// does not take or doubts), and first lines it refuses at once. Heads are Latin-1 strings (one char = one byte).
/// </summary>
internal static class RequestHeadParsingData
{
    /// <summary>A head the front end serves, and what the parser must report for it (<see cref="Fields"/> as "name: value").</summary>
    public sealed record Served(string Head, string Method, string Target, string HostName, string Path, string[] Fields,
        bool IsHead = false, bool ConnectionClose = false, bool ContentLengthZero = false);

    public static readonly IReadOnlyDictionary<string, Served> ServedHeads = new Dictionary<string, Served>
    {
        ["minimal"] = new("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", "a", "/", ["Host: a"]),
        ["host-with-port"] = new("GET /p HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", "GET", "/p", "example.com", "/p", ["Host: example.com:8080"]),
        ["ipv4-host"] = new("GET /p HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n\r\n", "GET", "/p", "127.0.0.1", "/p", ["Host: 127.0.0.1:5000"]),
        ["ipv6-host-with-port"] = new("GET /p HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET", "/p", "[::1]", "/p", ["Host: [::1]:8080"]),
        ["ipv6-host"] = new("GET /p HTTP/1.1\r\nHost: [fe80::1]\r\n\r\n", "GET", "/p", "[fe80::1]", "/p", ["Host: [fe80::1]"]),
        ["lower-case-host-name"] = new("GET / HTTP/1.1\r\nhost: a\r\n\r\n", "GET", "/", "a", "/", ["host: a"]),
        ["query"] = new("GET /search?q=a%20b&x=/?y HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/search?q=a%20b&x=/?y", "a", "/search", ["Host: a"]),
        ["empty-query"] = new("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/p?", "a", "/p", ["Host: a"]),
        ["path-sub-delims"] = new("GET /a-b._~!$&'()*+,;=:@/c HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/a-b._~!$&'()*+,;=:@/c", "a", "/a-b._~!$&'()*+,;=:@/c", ["Host: a"]),
        ["dots-inside-segments"] = new("GET /.well-known/a..b/.c/..d HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/.well-known/a..b/.c/..d", "a", "/.well-known/a..b/.c/..d", ["Host: a"]),
        ["head"] = new("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD", "/h", "a", "/h", ["Host: a"], IsHead: true),
        ["options"] = new("OPTIONS /o HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "/o", "a", "/o", ["Host: a"]),
        ["delete-with-zero-length"] = new("DELETE /d HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "DELETE", "/d", "a", "/d", ["Host: a", "Content-Length: 0"], ContentLengthZero: true),
        ["connection-close"] = new("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "Connection: close"], ConnectionClose: true),
        ["connection-tokens-any-case"] = new("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\nHost: a\r\n\r\n", "GET", "/", "a", "/", ["Connection: Keep-Alive, CLOSE", "Host: a"], ConnectionClose: true),
        ["connection-keep-alive"] = new("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "Connection: keep-alive"]),
        ["connection-empty-list-items"] = new("GET / HTTP/1.1\r\nHost: a\r\nConnection: , keep-alive ,\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "Connection: , keep-alive ,"]),
        ["value-whitespace-trimmed"] = new("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t v  w \t\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "X-A: v  w"]),
        ["empty-value"] = new("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "X-Empty: "]),
        ["obs-text-value"] = new("GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\u00e9\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "X-Latin: caf\u00e9"]),
        ["one-cookie-line"] = new("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; b=2\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "Cookie: a=1; b=2"]),
        ["token-name-characters"] = new("GET / HTTP/1.1\r\nHost: a\r\nX-!#$%&'*+.^_`|~1: v\r\n\r\n", "GET", "/", "a", "/", ["Host: a", "X-!#$%&'*+.^_`|~1: v"]),
        ["hundred-fields"] = new(
            "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(1, 99).Select(i => $"X-{i}: {i}\r\n")) + "\r\n",
            "GET", "/", "a", "/", ["Host: a", .. Enumerable.Range(1, 99).Select(i => $"X-{i}: {i}")]),
    };

    /// <summary>Heads the front end leaves to Kestrel (which serves or refuses them), each with why.</summary>
    public static readonly IReadOnlyDictionary<string, string> HandedOffHeads = new Dictionary<string, string>
    {
        // Methods other than GET, HEAD, OPTIONS, DELETE (the ones without a body in practice); methods are case-sensitive.
        ["post"] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        ["put"] = "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        ["lower-case-method"] = "get / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["connect"] = "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",

        // Versions other than HTTP/1.1.
        ["http-1.0"] = "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
        ["http-2.0-request-line"] = "GET / HTTP/2.0\r\nHost: a\r\n\r\n",

        // Targets that are not a plain origin-form path, or whose path routing would see decoded or normalised.
        ["absolute-form"] = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
        ["asterisk-form"] = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        ["percent-in-path"] = "GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n",
        ["dot-segment"] = "GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n",
        ["single-dot-segment"] = "GET /a/./b HTTP/1.1\r\nHost: a\r\n\r\n",
        ["trailing-dot-dot"] = "GET /a/.. HTTP/1.1\r\nHost: a\r\n\r\n",
        ["trailing-dot"] = "GET /a/. HTTP/1.1\r\nHost: a\r\n\r\n",
        ["fragment"] = "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
        ["query-with-angle-brackets"] = "GET /?a=<b> HTTP/1.1\r\nHost: a\r\n\r\n",
        ["two-spaces-before-target"] = "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["space-in-target"] = "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        ["empty-line-before-request-line"] = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",

        // Host: exactly one, a plain name or address literal with an optional port.
        ["no-host"] = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
        ["two-hosts"] = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ["empty-host"] = "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        ["host-only-port"] = "GET / HTTP/1.1\r\nHost: :80\r\n\r\n",
        ["host-with-user-info"] = "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
        ["host-percent-encoded"] = "GET / HTTP/1.1\r\nHost: a%20b\r\n\r\n",
        ["host-unclosed-bracket"] = "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
        ["host-bracket-inside-name"] = "GET / HTTP/1.1\r\nHost: a[b]\r\n\r\n",

        // Headers that change how the request is read or forwarded.
        ["two-cookie-lines"] = "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
        ["expect"] = "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
        ["upgrade"] = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        ["transfer-encoding"] = "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["content-length-not-zero"] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        ["content-length-leading-zero"] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n",
        ["two-content-lengths"] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        ["connection-names-a-header"] = "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n",

        // Malformed header lines: Kestrel is the authority that refuses them.
        ["obs-fold"] = "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n X-Injected: 1\r\n\r\n",
        ["space-before-colon"] = "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        ["name-not-a-token"] = "GET / HTTP/1.1\r\nHost: a\r\nX(Bad: 1\r\n\r\n",
        ["empty-name"] = "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
        ["no-colon"] = "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        ["control-character-in-value"] = "GET / HTTP/1.1\r\nHost: a\r\nX-Ctl: a\u0001b\r\n\r\n",
        ["nul-in-value"] = "GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n",
        ["del-in-value"] = "GET / HTTP/1.1\r\nHost: a\r\nX-Del: a\u007fb\r\n\r\n",
        ["cr-in-value"] = "GET / HTTP/1.1\r\nHost: a\r\nX-Cr: a\rb\r\n\r\n",
        ["bare-lf-inside-a-crlf-head"] = "GET / HTTP/1.1\r\nHost: a\nX-Smuggled: 1\r\n\r\n",
        ["bare-lf-head"] = "GET / HTTP/1.1\nHost: a\n\n",
        ["hundred-and-one-fields"] = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(1, 100).Select(i => $"X-{i}: {i}\r\n")) + "\r\n",
        ["longer-than-16-KiB"] = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', ClientRequestHead.MaxLength) + "\r\n\r\n",
    };

    /// <summary>Complete first lines that are no HTTP/1.x request line: refused with 400 at once (waiting would end in a 408).</summary>
    public static readonly IReadOnlyDictionary<string, string> InvalidHeads = new Dictionary<string, string>
    {
        ["http-0.9"] = "GET /\r\n",
        ["http-0.9-after-empty-line"] = "\r\nGET /\r\n",
        ["http-0.9-with-headers"] = "GET /\r\nHost: a\r\n\r\n",
        ["not-http"] = "hello world\r\n",
        ["short-line"] = "GET\r\n",
        ["version-not-a-digit"] = "GET / HTTP/1.x\r\nHost: a\r\n\r\n",
        ["version-with-two-digits"] = "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
    };

    public static TheoryData<string> ServedNames => [.. ServedHeads.Keys];

    public static TheoryData<string> HandedOffNames => [.. HandedOffHeads.Keys];

    public static TheoryData<string> InvalidNames => [.. InvalidHeads.Keys];

    /// <summary>Every row with the status the whole head gets.</summary>
    public static IEnumerable<(string Name, string Head, ClientHeadStatus Status)> AllRows()
    {
        foreach (var (name, row) in ServedHeads)
        {
            yield return (name, row.Head, ClientHeadStatus.Complete);
        }

        foreach (var (name, head) in HandedOffHeads)
        {
            yield return (name, head, ClientHeadStatus.HandOff);
        }

        foreach (var (name, head) in InvalidHeads)
        {
            yield return (name, head, ClientHeadStatus.Invalid);
        }
    }

    public static TheoryData<string> AllNames => [.. AllRows().Select(row => row.Name)];
}
