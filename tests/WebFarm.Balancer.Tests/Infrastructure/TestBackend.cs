using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>A real Kestrel server on 127.0.0.1:0 running <see cref="RequestDelegate"/>; counts the requests it got, in total and per path.</summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hitsByPath = new(StringComparer.Ordinal);
    private int _requests;

    private TestBackend(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    /// <summary>Base address, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Uri { get; }

    /// <summary>"http://127.0.0.1:40123" (no trailing slash), the form config files use.</summary>
    public string Address => Uri.GetLeftPart(UriPartial.Authority);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How many requests asked for <paramref name="path"/> (e.g. how often a health check ran).</summary>
    public int Hits(string path) => _hitsByPath.TryGetValue(path, out var n) ? n : 0;

    public static Task<TestBackend> StartAsync(RequestDelegate handler) => StartAsync(handler, HttpProtocols.Http1AndHttp2);

    /// <param name="certificate">Serve https with this certificate (TLS 1.2/1.3, ALPN per <paramref name="protocols"/>); null: http.</param>
    public static async Task<TestBackend> StartAsync(RequestDelegate handler, HttpProtocols protocols, bool webSockets = false, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = protocols;
                if (certificate is not null)
                {
                    o.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        TestBackend? backend = null;
        if (webSockets)
        {
            app.UseWebSockets(new WebSocketOptions());
        }

        app.Run(context =>
        {
            Interlocked.Increment(ref backend!._requests);
            backend._hitsByPath.AddOrUpdate(context.Request.Path.Value ?? "/", 1, static (_, n) => n + 1);
            return handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend = new TestBackend(app, new Uri(address));
        return backend;
    }

    /// <summary>A backend answering 200 with its <paramref name="name"/> as body and X-Backend header.</summary>
    public static Task<TestBackend> StartNamedAsync(string name) => StartAsync(async context =>
    {
        context.Response.Headers["X-Backend"] = name;
        await context.Response.WriteAsync(name);
    });

    /// <summary>
    /// An HTTP/1.1 WebSocket echo server on every path: a text message comes back as "echo:" + text, "server-close" makes
    /// the server close (PolicyViolation, "server says bye"), and a client's close is answered with "bye from server".
    /// </summary>
    public static Task<TestBackend> StartWebSocketEchoAsync() => StartAsync(
        async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye from server", CancellationToken.None);
                    return;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
                if (text == "server-close")
                {
                    await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "server says bye", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(Encoding.UTF8.GetBytes("echo:" + text), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        },
        HttpProtocols.Http1,
        webSockets: true);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}
