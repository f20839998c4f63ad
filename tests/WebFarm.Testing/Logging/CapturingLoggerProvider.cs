using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WebFarm.Testing;

/// <summary>
/// Keeps every formatted log entry with its category, level and exception, for features whose output is a log (the access log)
/// and for checking that a warning was given. Add it to a host's logging, or use <see cref="Factory"/> directly.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly Lazy<ILoggerFactory> _factory;

    public CapturingLoggerProvider() => _factory = new(() => LoggerFactory.Create(builder => builder.AddProvider(this)));

    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    /// <summary>A logger factory that logs to this provider only.</summary>
    public ILoggerFactory Factory => _factory.Value;

    /// <summary>The entries as "Level: message" lines, in the order they were logged.</summary>
    public IReadOnlyCollection<string> Messages => [.. Entries.Select(entry => $"{entry.Level}: {entry.Message}")];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}
