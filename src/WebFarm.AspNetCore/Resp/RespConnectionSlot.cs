using System.Diagnostics;

namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// One of the client's connection positions. Holds the live connection, or the single connect attempt
/// in progress, or the backoff after a failed attempt. While backing off, callers fail fast with the
/// last error instead of piling up connect attempts against a server that is down.
/// </summary>
internal sealed class RespConnectionSlot
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);

    private readonly Func<CancellationToken, Task<RespConnection>> _connect;
    private readonly TimeSpan _maxBackoff;
    private readonly CancellationToken _disposing;
    private readonly Lock _gate = new();
    private Task<RespConnection>? _ready;
    private Task<RespConnection>? _connecting;
    private long _retryAfterTimestamp;
    private int _failures;
    private Exception? _lastError;

    public RespConnectionSlot(Func<CancellationToken, Task<RespConnection>> connect, TimeSpan maxBackoff, CancellationToken disposing)
    {
        _connect = connect;
        _maxBackoff = maxBackoff;
        _disposing = disposing;
    }

    /// <summary>The live connection, if any (for disposal and diagnostics).</summary>
    public RespConnection? Current => _ready is { IsCompletedSuccessfully: true } ready ? ready.Result : null;

    public Task<RespConnection> GetAsync()
    {
        var ready = Volatile.Read(ref _ready);
        if (ready is not null && ready.Result.State == RespConnectionState.Connected)
        {
            return ready;
        }

        lock (_gate)
        {
            if (_ready is not null && _ready.Result.State == RespConnectionState.Connected)
            {
                return _ready;
            }

            if (_connecting is not null)
            {
                return _connecting;
            }

            long now = Stopwatch.GetTimestamp();
            if (_lastError is not null && now < _retryAfterTimestamp)
            {
                var wait = Stopwatch.GetElapsedTime(now, _retryAfterTimestamp);
                return Task.FromException<RespConnection>(new RespConnectionException(
                    $"{_lastError.Message} (next reconnect attempt in {wait.TotalMilliseconds:0} ms)", _lastError));
            }

            var broken = _ready?.Result;
            _ready = null;
            if (broken is not null)
            {
                _ = broken.DisposeAsync().AsTask();
            }

            _connecting = ConnectAsync();
            return _connecting;
        }
    }

    private async Task<RespConnection> ConnectAsync()
    {
        // Never complete synchronously: GetAsync assigns _connecting only after this returns.
        await Task.Yield();
        try
        {
            var connection = await _connect(_disposing).ConfigureAwait(false);
            if (_disposing.IsCancellationRequested)
            {
                // The client was disposed while this connect was in flight: nobody would close it.
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(RespClient));
            }

            lock (_gate)
            {
                _ready = Task.FromResult(connection);
                _connecting = null;
                _failures = 0;
                _lastError = null;
            }

            return connection;
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _connecting = null;
                _failures++;
                _lastError = ex;
                // Exponential backoff with +-20% jitter so many app instances do not reconnect in lockstep.
                double ms = Math.Min(_maxBackoff.TotalMilliseconds, FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(_failures - 1, 16)));
                ms *= 0.8 + (Random.Shared.NextDouble() * 0.4);
                _retryAfterTimestamp = Stopwatch.GetTimestamp() + (long)(ms * Stopwatch.Frequency / 1000);
            }

            throw;
        }
    }
}
