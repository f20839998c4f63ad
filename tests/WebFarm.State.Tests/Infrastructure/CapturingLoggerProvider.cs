using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>Collects formatted log messages so a test can check that a warning was given.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public CapturingLoggerProvider() => Factory = LoggerFactory.Create(builder => builder.AddProvider(this));

    public ILoggerFactory Factory { get; }

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(_messages);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
