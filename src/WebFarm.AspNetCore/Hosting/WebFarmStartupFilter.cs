using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using WebFarm.AspNetCore.Health;

namespace WebFarm.AspNetCore.Hosting;

/// <summary>
/// Puts the farm middleware in front of the app's own pipeline, so <c>AddWebFarm()</c> alone is enough:
/// forwarded headers first (everything after sees the real client), then the health endpoint
/// (never touches the session), then session.
/// </summary>
internal sealed class WebFarmStartupFilter(WebFarmOptions options, HealthResponseWriter writer) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseForwardedHeaders();
        app.UseHealthChecks(options.HealthPath, new HealthCheckOptions { ResponseWriter = writer.WriteAsync });
        app.UseSession();
        next(app);
    };
}
