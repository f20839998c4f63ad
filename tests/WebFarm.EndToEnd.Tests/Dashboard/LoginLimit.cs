using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The wrong-token limit as a client sees it, the same on the balancer's admin listener and the controller's: five
/// wrong tokens on the login form are answered with the form again, the sixth attempt within the minute gets 429 with
/// Retry-After, whatever it presents (the right token too), on the form and as a bearer token. The guesser connects
/// from 127.0.0.3 (all of 127.0.0.0/8 is loopback), so the test's own clients on 127.0.0.1 show that the limit is
/// per client.
/// </summary>
internal static class LoginLimit
{
    private static readonly IPAddress Guesser = IPAddress.Parse("127.0.0.3");

    public static async Task AssertAsync(Uri listener, string token, string apiPath)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectCallback = ConnectFromGuesserAsync }) { BaseAddress = listener, Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 1; i <= 5; i++)
        {
            using var wrong = await LoginAsync(client, $"wrong-token-number-{i}-0123456789");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("is not this", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var refused = await LoginAsync(client, token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var wait = Assert.Single(refused.Headers.GetValues("Retry-After"));
            Assert.InRange(int.Parse(wait, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            Assert.Contains("Too many wrong tokens from 127.0.0.3 (5 within 60 s); try again in ", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(refused.Headers.Contains("Set-Cookie"), "no session for a refused login");
        }

        using var api = new HttpRequestMessage(HttpMethod.Get, apiPath);
        api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var bearer = await client.SendAsync(api);
        Assert.Equal(HttpStatusCode.TooManyRequests, bearer.StatusCode);
        Assert.True(bearer.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After on the API's 429 too");
        Assert.Contains("too many wrong tokens from 127.0.0.3", await bearer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Another client (127.0.0.1) with the right token is answered as usual.
        using var other = new HttpClient { BaseAddress = listener, Timeout = TimeSpan.FromSeconds(30) };
        using var allowed = new HttpRequestMessage(HttpMethod.Get, apiPath);
        allowed.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var answer = await other.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    private static async ValueTask<Stream> ConnectFromGuesserAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(Guesser, 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string token)
        => client.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("token", token)]));
}
