using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Hosting;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// The HTTP conventions of WebFarm's JSON APIs (the balancer's admin API and the controller's): bodies read whole and
/// parsed with a field-named error, query numbers checked, JSON written with <see cref="AdminJson"/>, errors as
/// {"error": "..."}.
/// </summary>
internal static class AdminHttp
{
    /// <summary>An embedded Kestrel app (HTTP/1.1, routing, no Server header, bounded bodies) on <paramref name="listen"/>.</summary>
    public static WebApplication CreateApp(string listen, long maxBodyBytes, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new QuietFrameworkLoggerFactory(loggerFactory));
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxBodyBytes;
            BalancerHost.Listen(kestrel, listen, ListenProtocols.Http1);
        });
        return builder.Build();
    }

    /// <summary>Answers 401 with the bearer challenge and the admin API's message.</summary>
    public static Task WriteUnauthorized(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteError(context, StatusCodes.Status401Unauthorized, message);
    }

    public static long QueryLong(HttpContext context, string name, long fallback)
    {
        var values = context.Request.Query[name];
        if (values.Count == 0)
        {
            return fallback;
        }

        if (values.Count > 1 || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new AdminRequestException($"{name}: must be a non-negative whole number, got \"{values}\"");
        }

        return value;
    }

    /// <summary>A true/false query parameter (also 1/0); absent: <paramref name="fallback"/>; anything else is a 400 naming it.</summary>
    public static bool QueryBool(HttpContext context, string name, bool fallback)
    {
        var values = context.Request.Query[name];
        if (values.Count == 0)
        {
            return fallback;
        }

        return values.Count == 1 && values[0] is { } text
            ? text switch
            {
                "true" or "1" => true,
                "false" or "0" => false,
                _ => throw new AdminRequestException($"{name}: must be true or false, got \"{text}\""),
            }
            : throw new AdminRequestException($"{name}: must be given once, got \"{values}\"");
    }

    public static async Task<JsonDocument> ReadBody(HttpContext context)
    {
        using var memory = new MemoryStream();
        await context.Request.Body.CopyToAsync(memory, context.RequestAborted);
        if (memory.Length == 0)
        {
            throw new AdminRequestException("body: a JSON object is required");
        }

        try
        {
            return JsonDocument.Parse(memory.ToArray());
        }
        catch (JsonException ex)
        {
            throw new AdminRequestException($"body: not valid JSON ({ex.Message.Split(". ")[0]})");
        }
    }

    /// <summary>GET /api/events: the events after ?since (default 0), at most ?max (1-10000, default 1000).</summary>
    public static Task WriteEvents(HttpContext context, Events.EventStream events)
    {
        var since = QueryLong(context, "since", 0);
        var max = QueryLong(context, "max", 1000);
        if (max is < 1 or > 10_000)
        {
            throw new AdminRequestException("max: must be between 1 and 10000");
        }

        return WriteJson(context, events.Since(since, (int)max));
    }

    public static Task WriteJson<T>(HttpContext context, T value) => WriteJson(context, value, AdminJson.Options);

    /// <summary>Writes <paramref name="value"/> with the admin conventions of <paramref name="options"/> (see <see cref="AdminJson.Create"/>).</summary>
    public static Task WriteJson<T>(HttpContext context, T value, JsonSerializerOptions options)
        => context.Response.WriteAsJsonAsync(value, AdminJson.TypeInfo<T>(options), contentType: null, context.RequestAborted);

    public static Task WriteError(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new AdminError(message), AdminJson.TypeInfo<AdminError>(), contentType: null, context.RequestAborted);
    }
}
