using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Slows down guessing the admin token: a client that presented <see cref="MaxFailures"/> wrong tokens (on the
/// dashboard's login form or as a bearer token) within <see cref="Window"/> is refused (429 with Retry-After) until the
/// oldest of those failures is a window old, whatever it presents meanwhile (the right token too, or the limit would
/// only slow a guesser down by the time it takes to learn it had guessed right). Clients are told apart by address;
/// IPv6 addresses by their /64, which one host usually holds whole. The table is bounded: past
/// <see cref="MaxClients"/> the client whose last failure is oldest is forgotten.
/// </summary>
internal sealed class LoginThrottle(TimeProvider? time = null)
{
    /// <summary>5 per minute: a person who mistypes gets several tries; a guesser gets 7,200 a day.</summary>
    public const int MaxFailures = 5;

    public const int MaxClients = 10_000;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>Null when <paramref name="client"/> may present a token now; otherwise how long it must wait.</summary>
    public TimeSpan? RetryAfter(IPAddress? client)
    {
        var key = Key(client);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(key, out var failures))
            {
                return null;
            }

            Expire(failures, now);
            if (failures.Count == 0)
            {
                _failures.Remove(key);
                return null;
            }

            return failures.Count >= MaxFailures ? failures.Peek() + Window - now : null;
        }
    }

    /// <summary>Counts a wrong token presented by <paramref name="client"/>.</summary>
    public void RecordFailure(IPAddress? client)
    {
        var key = Key(client);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(key, out var failures))
            {
                if (_failures.Count >= MaxClients)
                {
                    MakeRoom(now);
                }

                failures = new Queue<DateTimeOffset>(MaxFailures);
                _failures[key] = failures;
            }

            Expire(failures, now);
            failures.Enqueue(now);
            while (failures.Count > MaxFailures)
            {
                failures.Dequeue();
            }
        }
    }

    /// <summary>The client's name in messages and the key of its failures: an IPv4 address, or an IPv6 /64.</summary>
    public static string Key(IPAddress? client)
    {
        if (client is null)
        {
            return "unknown";
        }

        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        if (client.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(client))
        {
            return client.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        client.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>The 429 message: who, how many, and when to come back (whole seconds, rounded up, as Retry-After).</summary>
    public static string Message(IPAddress? client, TimeSpan wait)
        => $"too many wrong tokens from {Key(client)} ({MaxFailures} within {Window.TotalSeconds:0} s); try again in {Seconds(wait)} s";

    public static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static void Expire(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() + Window <= now)
        {
            failures.Dequeue();
        }
    }

    // Under _lock: drop the clients with no failure left in the window, else the one whose last failure is oldest.
    private void MakeRoom(DateTimeOffset now)
    {
        string? stalest = null;
        var stalestTime = DateTimeOffset.MaxValue;
        List<string>? idle = null;
        foreach (var (key, failures) in _failures)
        {
            Expire(failures, now);
            if (failures.Count == 0)
            {
                (idle ??= []).Add(key);
                continue;
            }

            var last = failures.ToArray()[^1];
            if (last < stalestTime)
            {
                stalestTime = last;
                stalest = key;
            }
        }

        foreach (var key in idle ?? [])
        {
            _failures.Remove(key);
        }

        if (idle is null && stalest is not null)
        {
            _failures.Remove(stalest);
        }
    }
}
