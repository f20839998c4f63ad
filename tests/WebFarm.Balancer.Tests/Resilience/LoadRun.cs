using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebFarm.Balancer.Tests.Resilience;

/// <summary>
/// A bounded concurrent load of GETs against the balancer: <c>workers</c> loops, each sending one request at a time,
/// until the duration is over, the request cap is reached or <see cref="Stop"/> is called. Every response is recorded
/// (when, how long, status, which backend answered), and every exception is a failure.
/// </summary>
internal sealed class LoadRun
{
    public sealed record Sample(TimeSpan Started, TimeSpan Elapsed, int Status, string? Backend, string? Error);

    private readonly ConcurrentQueue<Sample> _samples = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _endTicks;

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<Sample> Samples => [.. _samples.OrderBy(s => s.Started)];

    /// <summary>How many requests have completed (answered or failed) so far.</summary>
    public int Completed => _samples.Count;

    public IReadOnlyList<Sample> Failures => [.. Samples.Where(s => s.Error is not null || s.Status != 200)];

    public static async Task<LoadRun> RunAsync(Uri target, int workers, TimeSpan duration, Func<LoadRun, Task>? during = null, int maxRequests = 200_000)
    {
        var run = new LoadRun();
        using var handler = new SocketsHttpHandler { UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var remaining = maxRequests;
        run._endTicks = duration.Ticks;
        var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (run.Now.Ticks < Interlocked.Read(ref run._endTicks) && Interlocked.Decrement(ref remaining) >= 0)
            {
                var started = run.Now;
                try
                {
                    using var response = await client.GetAsync(target);
                    await response.Content.ReadAsByteArrayAsync();
                    var backend = response.Headers.TryGetValues("X-Backend", out var values) ? values.First() : null;
                    run._samples.Enqueue(new Sample(started, run.Now - started, (int)response.StatusCode, backend, null));
                }
                catch (Exception ex)
                {
                    run._samples.Enqueue(new Sample(started, run.Now - started, 0, null, ex.GetType().Name + ": " + ex.Message));
                }
            }
        })).ToArray();

        if (during is not null)
        {
            await during(run);
        }

        await Task.WhenAll(loops);
        return run;
    }

    /// <summary>Ends the run early: the workers finish the request they are sending and stop.</summary>
    public void Stop() => Interlocked.Exchange(ref _endTicks, 0);

    /// <summary>Waits until <paramref name="count"/> more requests than now have completed (bounded by <paramref name="timeout"/>).</summary>
    public Task CompletedMoreAsync(int count, TimeSpan timeout, string because)
    {
        var target = Completed + count;
        return Eventually.True(() => Completed >= target, timeout, because);
    }

    /// <summary>Waits until <paramref name="at"/> into the run.</summary>
    public Task At(TimeSpan at)
    {
        var wait = at - Now;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    public string Describe(IEnumerable<Sample> samples)
        => string.Join("; ", samples.Take(5).Select(s => $"{s.Started.TotalMilliseconds:F0}ms {s.Status} {s.Backend} {s.Error}"));
}
