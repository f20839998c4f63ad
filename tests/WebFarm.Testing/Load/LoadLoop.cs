namespace WebFarm.Testing;

/// <summary>
/// GETs through the balancer until stopped, bounded generously in count (far above what a fast machine sends while a
/// test runs) and firmly in time by the caller's token; every non-200 or transport failure is recorded.
/// </summary>
public sealed class LoadLoop
{
    private readonly List<string> _failures = [];
    private readonly List<(DateTime Sent, DateTime At, string? Body)> _timeline = [];
    private readonly HashSet<string> _bodies = [];
    private int _sent;

    public int Sent => Volatile.Read(ref _sent);

    /// <summary>The distinct bodies answered so far (the test backend answers with its server's name).</summary>
    public IReadOnlyCollection<string> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>When each request was sent and ended (UTC) and its body, null for a failure: what a takeover test measures.</summary>
    public IReadOnlyList<(DateTime Sent, DateTime At, string? Body)> Timeline
    {
        get
        {
            lock (_timeline)
            {
                return [.. _timeline];
            }
        }
    }

    public Task RunAsync(HttpClient client, CancellationToken stop, int maxRequests = 1_000_000, string path = "/")
        => Task.Run(async () =>
        {
            while (Sent < maxRequests && !stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _sent);
                var sentAt = DateTime.UtcNow;
                try
                {
                    using var response = await client.GetAsync(path, CancellationToken.None);
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    if ((int)response.StatusCode != 200)
                    {
                        Fail(sentAt, $"status {(int)response.StatusCode}: {body}");
                    }
                    else
                    {
                        lock (_bodies)
                        {
                            _bodies.Add(body);
                        }

                        Record(sentAt, body);
                    }
                }
                catch (HttpRequestException ex)
                {
                    Fail(sentAt, ex.Message);
                }
                catch (TaskCanceledException ex)
                {
                    Fail(sentAt, "timed out: " + ex.Message);
                }

                await Task.Delay(10, CancellationToken.None);
            }
        });

    private void Fail(DateTime sentAt, string reason)
    {
        lock (_failures)
        {
            _failures.Add(reason);
        }

        Record(sentAt, null);
    }

    private void Record(DateTime sentAt, string? body)
    {
        lock (_timeline)
        {
            _timeline.Add((sentAt, DateTime.UtcNow, body));
        }
    }
}
