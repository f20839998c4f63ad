using System.Buffers;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Persistence;

/// <summary>
/// The append-only log. Commands are appended to an in-memory buffer under the store lock; a dedicated
/// writer thread writes them to the current incremental file as soon as they arrive (so a killed process
/// loses nothing the OS already has) and fsyncs per policy. When the incremental file has grown enough, a
/// rewrite captures the keyspace, switches to a new incremental file at that instant, and writes the
/// snapshot as the new base in the background; the manifest makes each step atomic.
/// Lock order: store lock, then file lock, then pending lock.
/// </summary>
internal sealed partial class AppendOnlyLog : ICommandLogSink, IAsyncDisposable
{
    private readonly string _directory;
    private readonly AppendFsyncPolicy _policy;
    private readonly ServerContext _server;
    private readonly ILogger _logger;
    private readonly Lock _fileLock = new();
    private readonly Lock _pendingLock = new();
    private readonly AutoResetEvent _signal = new(false);
    private readonly Thread _writer;
    private ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private ArrayBufferWriter<byte> _spare = new(64 * 1024);
    private AofManifest _manifest;
    private FileStream _incr;
    private long _appended;
    private long _durable;
    private TaskCompletionSource _durableChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private int _rewriting;
    private long _lastFsyncTicks = Environment.TickCount64;
    private bool _dirty;
    private byte[]? _retry;

    private AppendOnlyLog(ServerContext server, string directory, AppendFsyncPolicy policy, AofManifest manifest, FileStream incr, long baseSize)
    {
        _server = server;
        _directory = directory;
        _policy = policy;
        _logger = server.Logger;
        _manifest = manifest;
        _incr = incr;
        BaseSize = baseSize;
        IncrSize = incr.Length;
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "webfarm-state-aof" };
    }

    public long BaseSize { get; private set; }

    public long IncrSize { get; private set; }

    public bool RewriteInProgress => Volatile.Read(ref _rewriting) != 0;

    public int Rewrites { get; private set; }

    public bool LastRewriteOk { get; private set; } = true;

    public bool LastWriteOk { get; private set; } = true;

    public AppendFsyncPolicy Policy => _policy;

    public long AppendedBytes => Interlocked.Read(ref _appended);

    /// <summary>Replays the files listed by the manifest (creating an empty log if none) and starts the writer.</summary>
    public static async Task<AppendOnlyLog> OpenAsync(ServerContext server, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var manifest = AofManifest.Load(directory);
        if (manifest is null)
        {
            manifest = new AofManifest(1, null, [AofManifest.IncrName(1)]);
            manifest.Save(directory);
        }

        var session = new ClientSession(server, 0, new RespWriter(null), "aof") { IsMasterLink = true, Authenticated = true };
        var sink = new ReplaySink(session);
        server.Store.BeginBatch();
        long baseSize = 0;
        var files = new List<string>();
        if (manifest.Base is not null)
        {
            files.Add(manifest.Base);
        }

        files.AddRange(manifest.Incrementals);
        foreach (var name in files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                if (name == manifest.Base)
                {
                    throw new InvalidDataException($"{Path.Combine(directory, AofManifest.FileName)} lists base file {name}, which does not exist");
                }

                continue;
            }

            var size = await AofLoader.ReplayAsync(path, sink, server.Logger, ct);
            if (name == manifest.Base)
            {
                baseSize = size;
            }
        }

        Log.Loaded(server.Logger, server.Store.Keys.Count, directory);
        var incr = new FileStream(Path.Combine(directory, manifest.Incrementals[^1]), FileMode.Append, FileAccess.Write, FileShare.Read, 1);
        var log = new AppendOnlyLog(server, directory, server.Options.AppendFsync, manifest, incr, baseSize);
        log._writer.Start();
        return log;
    }

    /// <summary>Called under the store lock for every propagated command.</summary>
    public void Append(ReadOnlySpan<byte> command)
    {
        bool wasEmpty;
        lock (_pendingLock)
        {
            wasEmpty = _pending.WrittenCount == 0;
            _pending.Write(command);
            _appended += command.Length;
        }

        if (wasEmpty)
        {
            _signal.Set();
        }
    }

    /// <summary>For appendfsync always: completes when everything up to <paramref name="offset"/> is on disk.</summary>
    public async ValueTask WaitDurableAsync(long offset)
    {
        while (Interlocked.Read(ref _durable) < offset && !_stopping)
        {
            // Re-check at least every second so a stalled disk or a shutdown cannot park the client forever.
            var changed = Volatile.Read(ref _durableChanged).Task;
            await Task.WhenAny(changed, Task.Delay(1000));
        }
    }

    public bool TryStartRewrite()
    {
        if (Interlocked.CompareExchange(ref _rewriting, 1, 0) != 0)
        {
            return false;
        }

        _ = Task.Run(RewriteAsync);
        return true;
    }

    private void WriterLoop()
    {
        while (true)
        {
            _signal.WaitOne(_policy == AppendFsyncPolicy.EverySec ? 1000 : 5000);
            var stopping = _stopping;
            try
            {
                lock (_fileLock)
                {
                    WritePendingLocked(fsyncNow: false);
                }
            }
            catch (Exception ex)
            {
                LastWriteOk = false;
                Log.WriteFailed(_logger, ex);
            }

            if (stopping)
            {
                return;
            }

            var minSize = _server.Options.AofRewriteMinBytes;
            if (IncrSize >= minSize && IncrSize >= BaseSize * _server.Options.AofRewritePercentage / 100 && !RewriteInProgress)
            {
                TryStartRewrite();
            }
        }
    }

    /// <summary>Writes pending bytes to the current incremental file and fsyncs per policy. Holds the file lock.</summary>
    private void WritePendingLocked(bool fsyncNow)
    {
        long upTo;
        ArrayBufferWriter<byte> batch;
        lock (_pendingLock)
        {
            batch = _pending;
            _pending = _spare;
            _spare = batch;
            upTo = _appended;
        }

        if (_retry is not null)
        {
            // Bytes of a failed write (disk full, I/O error) go first so the log keeps command order.
            _incr.Write(_retry);
            IncrSize += _retry.Length;
            _retry = null;
        }

        if (batch.WrittenCount > 0)
        {
            try
            {
                _incr.Write(batch.WrittenSpan);
            }
            catch (IOException)
            {
                _retry = batch.WrittenSpan.ToArray();
                batch.ResetWrittenCount();
                throw;
            }

            IncrSize += batch.WrittenCount;
            batch.ResetWrittenCount();
            _dirty = true;
            LastWriteOk = true;
        }

        var now = Environment.TickCount64;
        if (_dirty && (fsyncNow || _policy == AppendFsyncPolicy.Always || (_policy == AppendFsyncPolicy.EverySec && now - _lastFsyncTicks >= 1000)))
        {
            _incr.Flush(flushToDisk: true);
            _lastFsyncTicks = now;
            _dirty = false;
        }

        if (_policy != AppendFsyncPolicy.EverySec || !_dirty)
        {
            Interlocked.Exchange(ref _durable, upTo);
            Interlocked.Exchange(ref _durableChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private async Task RewriteAsync()
    {
        var started = Environment.TickCount64;
        try
        {
            SnapshotItem[] snapshot;
            int generation;
            lock (_server.Store.Sync)
            {
                snapshot = _server.Store.Keys.Capture(_server.Store.NowMs);
                lock (_fileLock)
                {
                    // Everything before this instant is in the snapshot; everything after goes to the new incremental file.
                    WritePendingLocked(fsyncNow: true);
                    _incr.Dispose();
                    generation = _manifest.Generation + 1;
                    var incrName = AofManifest.IncrName(generation);
                    _incr = new FileStream(Path.Combine(_directory, incrName), FileMode.Append, FileAccess.Write, FileShare.Read, 1);
                    IncrSize = _incr.Length;
                    _manifest = _manifest with { Generation = generation, Incrementals = [.. _manifest.Incrementals, incrName] };
                    _manifest.Save(_directory);
                }
            }

            var baseName = AofManifest.BaseName(generation);
            var temp = Path.Combine(_directory, baseName + ".tmp");
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                SnapshotWriter.Write(snapshot, file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, Path.Combine(_directory, baseName), overwrite: true);
            List<string> obsolete;
            lock (_fileLock)
            {
                var current = _manifest.Incrementals[^1];
                obsolete = [.. _manifest.Incrementals.Where(name => name != current)];
                if (_manifest.Base is not null)
                {
                    obsolete.Add(_manifest.Base);
                }

                _manifest = _manifest with { Base = baseName, Incrementals = [current] };
                _manifest.Save(_directory);
                BaseSize = new FileInfo(Path.Combine(_directory, baseName)).Length;
            }

            foreach (var name in obsolete)
            {
                File.Delete(Path.Combine(_directory, name));
            }

            Rewrites++;
            LastRewriteOk = true;
            Log.Rewrote(_logger, snapshot.Length, BaseSize, Environment.TickCount64 - started);
        }
        catch (Exception ex)
        {
            LastRewriteOk = false;
            Log.RewriteFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _rewriting, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (RewriteInProgress && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
        }

        _stopping = true;
        _signal.Set();
        _writer.Join(TimeSpan.FromSeconds(10));
        lock (_fileLock)
        {
            WritePendingLocked(fsyncNow: true);
            _incr.Dispose();
        }

        _signal.Dispose();
    }
}
