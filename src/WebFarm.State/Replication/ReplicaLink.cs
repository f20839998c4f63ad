using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;

namespace WebFarm.State.Replication;

/// <summary>
/// Replica side: connects to the master, authenticates, PSYNCs (partial when it can), loads the snapshot,
/// then applies the stream and acknowledges its offset every second. Reconnects with backoff forever.
/// </summary>
internal sealed partial class ReplicaLink : IAsyncDisposable
{
    private readonly ServerContext _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private Task _run = Task.CompletedTask;
    private string? _masterReplId;

    public ReplicaLink(ServerContext server, string host, int port)
    {
        _server = server;
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    public ReplicaLinkState State { get; private set; } = ReplicaLinkState.Connecting;

    public long Offset { get; private set; }

    public long LastIoTicks { get; private set; } = Environment.TickCount64;

    public long SyncCount { get; private set; }

    public void Start() => _run = Task.Run(RunAsync);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
        }
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SyncAndStreamAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LinkFailed(_server.Logger, Host, Port, ex.Message);
            }

            State = ReplicaLinkState.Connecting;
            try
            {
                await Task.Delay(backoff, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
        }
    }

    private async Task SyncAndStreamAsync(CancellationToken ct)
    {
        State = ReplicaLinkState.Connecting;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(Host, Port, connectTimeout.Token);
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream);
        using var linkStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var register = linkStop.Token.Register(() => socket.Dispose());
        State = ReplicaLinkState.Handshake;

        var password = _server.Options.MasterPassword ?? _server.Options.Password;
        if (password is not null)
        {
            await ExpectAsync(stream, reader, RespEncoder.Command("AUTH", password), "+OK", ct);
        }

        await ExpectAsync(stream, reader, RespEncoder.Command("PING"), "+PONG", ct);
        await ExpectAsync(stream, reader, RespEncoder.Command("REPLCONF", "listening-port", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), "+OK", ct);
        await ExpectAsync(stream, reader, RespEncoder.Command("REPLCONF", "capa", "psync2", "capa", "webfarm"), "+OK", ct);
        var psync = _masterReplId is null
            ? RespEncoder.Command("PSYNC", "?", "-1")
            : RespEncoder.Command("PSYNC", _masterReplId, (Offset + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await stream.WriteAsync(psync, ct);
        var reply = await ReadLineAsync(reader, ct);
        var sink = new MasterStreamSink(new ClientSession(_server, _server.NextClientId(), new RespWriter(null), $"{Host}:{Port}") { IsMasterLink = true, Authenticated = true });
        if (reply.StartsWith("+FULLRESYNC ", StringComparison.Ordinal))
        {
            var parts = reply.Split(' ');
            var replId = parts[1];
            var offset = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            State = ReplicaLinkState.Syncing;
            await LoadSnapshotAsync(reader, sink, ct);
            _masterReplId = replId;
            Offset = offset;
            SyncCount++;
            Log.FullSyncDone(_server.Logger, Host, Port, offset);
        }
        else if (reply.StartsWith("+CONTINUE", StringComparison.Ordinal))
        {
            Log.PartialResync(_server.Logger, Host, Port, Offset);
        }
        else
        {
            throw new InvalidOperationException($"master refused PSYNC: {reply}");
        }

        State = ReplicaLinkState.Connected;
        LastIoTicks = Environment.TickCount64;
        var ackLoop = AckLoopAsync(stream, linkStop.Token);
        try
        {
            await StreamAsync(reader, stream, sink, ct);
        }
        finally
        {
            await linkStop.CancelAsync();
            try
            {
                await ackLoop;
            }
            catch (Exception)
            {
            }
        }
    }

    private async Task LoadSnapshotAsync(PipeReader reader, MasterStreamSink sink, CancellationToken ct)
    {
        var header = await ReadLineAsync(reader, ct);
        if (header.Length < 2 || header[0] != '$' || !long.TryParse(header.AsSpan(1), out var length) || length < 0)
        {
            throw new InvalidOperationException($"bad snapshot header from master: {header}");
        }

        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(ct);
            if (result.Buffer.Length >= length)
            {
                break;
            }

            if (result.IsCompleted)
            {
                throw new IOException("master closed the connection during the snapshot");
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        var payload = result.Buffer.Slice(0, length);
        var args = new ArgList();
        var scratch = Array.Empty<byte>();
        try
        {
            // Apply under the lock as a whole: clients never see a half-loaded keyspace.
            sink.Execute(new CommandArgs("FLUSHALL"u8, FlushAllArgs()), 0);
            var status = CommandStream.Process(ref payload, sink, args, ref scratch, out _, out var error);
            if (status != StreamStatus.NeedMore || !payload.IsEmpty)
            {
                throw new InvalidOperationException($"bad snapshot from master: {error ?? "truncated"}");
            }
        }
        finally
        {
            sink.EndBatch();
        }

        sink.Offset = 0;
        reader.AdvanceTo(result.Buffer.GetPosition(length));
    }

    private static ArgList FlushAllArgs()
    {
        var list = new ArgList();
        list.Add(0, "FLUSHALL".Length);
        return list;
    }

    private async Task StreamAsync(PipeReader reader, NetworkStream stream, MasterStreamSink sink, CancellationToken ct)
    {
        var args = new ArgList();
        var scratch = new byte[4096];
        long needed = 0;
        sink.Offset = Offset;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            LastIoTicks = Environment.TickCount64;
            var status = StreamStatus.NeedMore;
            string? error = null;
            if (buffer.Length >= needed)
            {
                try
                {
                    status = CommandStream.Process(ref buffer, sink, args, ref scratch, out needed, out error);
                }
                finally
                {
                    sink.EndBatch();
                    Offset = sink.Offset;
                }
            }

            reader.AdvanceTo(buffer.Start, result.Buffer.End);
            if (status == StreamStatus.ProtocolError)
            {
                throw new InvalidOperationException($"bad replication stream from master: {error}");
            }

            if (sink.AckRequested)
            {
                sink.AckRequested = false;
                await SendAckAsync(stream, ct);
            }

            if (result.IsCompleted)
            {
                throw new IOException("master closed the replication connection");
            }
        }
    }

    private async Task AckLoopAsync(NetworkStream stream, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await SendAckAsync(stream, ct);
            await Task.Delay(1000, ct);
        }
    }

    private async Task SendAckAsync(NetworkStream stream, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await stream.WriteAsync(RespEncoder.Command("REPLCONF", "ACK", Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ExpectAsync(NetworkStream stream, PipeReader reader, byte[] command, string expected, CancellationToken ct)
    {
        await stream.WriteAsync(command, ct);
        var reply = await ReadLineAsync(reader, ct);
        if (!reply.StartsWith(expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"master answered '{reply}' to {Encoding.ASCII.GetString(command).Split('\n')[2].Trim()}");
        }
    }

    private static async Task<string> ReadLineAsync(PipeReader reader, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await reader.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is not null)
            {
                var line = Encoding.UTF8.GetString(buffer.Slice(0, newline.Value)).TrimEnd('\r');
                reader.AdvanceTo(buffer.GetPosition(1, newline.Value));
                if (line.Length == 0)
                {
                    continue;
                }

                return line;
            }

            if (result.IsCompleted)
            {
                throw new IOException("master closed the connection");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
