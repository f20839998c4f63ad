using System.IO.Pipelines;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// The pipe settings of the epoll transport's client connections, made once per listener and shared by all its
/// connections (two <see cref="PipeOptions"/> per connection were 1.4 MB at 10,000 connections, bench/balancer/memory.sh).
/// </summary>
internal sealed class ConnectionPipeOptions
{
    // Kestrel's defaults: at most 1 MiB received ahead of the application, 64 KiB of response not yet sent.
    private const long InputPause = 1024 * 1024;
    private const long OutputPause = 64 * 1024;

    public ConnectionPipeOptions(PinnedBlockPool pool)
    {
        Pool = pool;
        Input = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, InputPause, InputPause / 2, useSynchronizationContext: false);
        Output = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, OutputPause, OutputPause / 2, useSynchronizationContext: false);
    }

    public PinnedBlockPool Pool { get; }

    public PipeOptions Input { get; }

    public PipeOptions Output { get; }
}
