using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// The logger factory handed to the balancer's Kestrel apps: ASP.NET Core's per-request informational logs
/// (hosting diagnostics, routing) are noise for a proxy and cost CPU on every request, so framework
/// categories only pass warnings and errors, and open no log scopes; the balancer's own categories pass through
/// unchanged. The scopes matter more than they look: hosting opens one per request when its logger is enabled at any
/// level, which sets an AsyncLocal, so every later await of the request saved and restored a non-default
/// ExecutionContext (measured in bench/balancer). The console output shows no scopes anyway.
/// </summary>
internal sealed class QuietFrameworkLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        if (categoryName == "Microsoft.AspNetCore.Hosting.Diagnostics")
        {
            // Per-request start/stop logs and the per-request scope: nothing a proxy wants, at a cost on every request.
            return NullLogger.Instance;
        }

        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) ? new WarningsOnlyLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The caller owns the inner factory.
    }

    private sealed class WarningsOnlyLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
