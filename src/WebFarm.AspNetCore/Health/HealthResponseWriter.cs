using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Health;

/// <summary>
/// Writes the health report as JSON: overall status, server and application names, and one entry per
/// check with its description, so an operator (or the balancer's log) sees which store failed and why.
/// </summary>
internal sealed class HealthResponseWriter(WebFarmOptions options)
{
    public async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteString("server", options.ServerName);
        json.WriteString("application", options.ApplicationName);
        json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 2));
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            foreach (var (key, value) in entry.Data)
            {
                json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            }

            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 2));
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
