using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.DataProtection;
using WebFarm.AspNetCore.Forwarding;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Sessions;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.Hosting;

/// <summary>The one call that makes an ASP.NET Core app farm-ready.</summary>
public static class WebFarmHostingExtensions
{
    /// <summary>
    /// Makes the app farm-ready: distributed cache and session in the shared store (RESP state server or
    /// PostgreSQL), the Data Protection key ring in the same store under a fixed application name (so auth
    /// cookies, antiforgery tokens and session cookies from one server are valid on all), forwarded headers
    /// trusted only from the balancer, a health endpoint that includes the store, store-failure metrics and
    /// logs, and a graceful drain on shutdown. Settings come from the configuration section
    /// <c>WebFarm</c>, overridden by <c>WEBFARM_*</c> environment variables, then by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="configure">Optional last word on the settings, applied after configuration and environment.</param>
    /// <returns>The validated settings snapshot the app runs with.</returns>
    /// <exception cref="InvalidOperationException">A setting is invalid; the message names every bad setting.</exception>
    public static WebFarmOptions AddWebFarm(this WebApplicationBuilder builder, Action<WebFarmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(WebFarmOptions)))
        {
            throw new InvalidOperationException("AddWebFarm() was already called on this builder; call it once.");
        }

        var options = new WebFarmOptions();
        builder.Configuration.GetSection(WebFarmOptions.SectionName).Bind(options);
        options.ApplyEnvironment(Environment.GetEnvironmentVariable);
        configure?.Invoke(options);
        options.Normalize(builder.Environment.ApplicationName);

        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton(sp => new WebFarmMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<IWebFarmStore>(),
            sp.GetRequiredService<ILogger<WebFarmMetrics>>(),
            options.Store == WebFarmStore.Resp ? sp.GetRequiredService<RespClient>().Statistics : null));

        if (options.Store == WebFarmStore.Resp)
        {
            AddRespStore(services, options);
        }
        else
        {
            AddPostgresStore(services, options);
        }

        services.AddDataProtection().SetApplicationName(options.ApplicationName!);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<IXmlRepository>()));

        services.AddSession(session =>
        {
            session.IdleTimeout = options.SessionIdleTimeout;
            session.Cookie.Name = options.SessionCookieName;
            session.Cookie.HttpOnly = true;
            session.Cookie.IsEssential = true;
            session.IOTimeout = options.StoreTimeout;
        });
        // A session change that cannot be stored fails the request instead of being dropped (StrictSession says why).
        services.Replace(ServiceDescriptor.Transient<ISessionStore, StrictSessionStore>());

        services.AddSingleton<IConfigureOptions<ForwardedHeadersOptions>, ForwardedHeadersSetup>();

        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", HealthStatus.Unhealthy, ["ready"])
            .AddCheck<DrainHealthCheck>("drain", HealthStatus.Unhealthy, ["ready"]);
        services.AddSingleton<HealthResponseWriter>();
        services.AddSingleton<IStartupFilter, WebFarmStartupFilter>();

        // Supervised instances (webfarm up, the agent) name their parent: never outlive it, even after a SIGKILL.
        services.AddHostedService<ParentProcessWatcher>();

        // Graceful drain: on SIGTERM the health endpoint turns 503 and the app keeps serving for DrainDelay, then
        // Kestrel stops accepting and waits for in-flight requests (ShutdownTimeout bounds it all).
        services.AddSingleton<DrainDelayService>();
        services.AddHostedService(sp => sp.GetRequiredService<DrainDelayService>());
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        return options;
    }

    private static void AddRespStore(IServiceCollection services, WebFarmOptions options)
    {
        services.TryAddSingleton(sp =>
        {
            var clientOptions = new RespClientOptions
            {
                Password = options.Password,
                Topology = options.StateTopology,
                CommandTimeout = options.StoreTimeout,
                ConnectTimeout = options.StoreTimeout,
            };
            foreach (var endPoint in options.StateEndpoints)
            {
                clientOptions.EndPoints.Add(endPoint);
            }

            return new RespClient(clientOptions, sp.GetRequiredService<ILogger<RespClient>>());
        });
        services.AddSingleton<IWebFarmStore>(sp => new RespStore(sp.GetRequiredService<RespClient>()));
        services.AddSingleton<IDistributedCache>(sp => new RespDistributedCache(
            sp.GetRequiredService<RespClient>(), options.CacheKeyPrefix, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WebFarmMetrics>(),
            options.StateWriteReplicas));
        services.AddSingleton<IXmlRepository>(sp => new RespXmlRepository(
            sp.GetRequiredService<RespClient>(), options.CacheKeyPrefix + "DataProtection-Keys", sp.GetRequiredService<WebFarmMetrics>()));
    }

    private static void AddPostgresStore(IServiceCollection services, WebFarmOptions options)
    {
        services.AddSingleton(_ => new PostgresStore(options.PostgresConnectionString!, options.StoreTimeout));
        services.AddSingleton<IWebFarmStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IDistributedCache>(sp => new PostgresDistributedCache(
            sp.GetRequiredService<PostgresStore>(), options.CacheKeyPrefix, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WebFarmMetrics>()));
        services.AddSingleton<IXmlRepository>(sp => new PostgresXmlRepository(
            sp.GetRequiredService<PostgresStore>(), options.ApplicationName!, sp.GetRequiredService<WebFarmMetrics>()));
        services.AddSingleton<PostgresCacheCleanupService>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresCacheCleanupService>());
    }
}
