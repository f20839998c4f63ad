using System.Net;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>
/// Users who each write their session through one app and read it back through the other, round after round, while a
/// test breaks the cluster. Every acknowledged write is remembered: a read must return the user's last acknowledged
/// value, or a value whose write failed after it (a failed write may or may not have happened). Anything else, such as
/// an empty session, is a lost write. Bounded in rounds and in time; phases wait for conditions on the counters.
/// </summary>
internal sealed class SessionLoad : IAsyncDisposable
{
    private readonly FarmApp _writer;
    private readonly FarmApp _reader;
    private readonly User[] _users;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lostWrites = [];
    private readonly List<string> _errors = [];
    private Task? _loop;
    private long _successes;
    private long _failures;
    private long _rounds;

    public SessionLoad(FarmApp writer, FarmApp reader, int users)
    {
        _writer = writer;
        _reader = reader;
        _users = new User[users];
        for (int i = 0; i < users; i++)
        {
            _users[i] = new User(i);
        }
    }

    /// <summary>Successful write-and-read pairs.</summary>
    public long Successes => Interlocked.Read(ref _successes);

    /// <summary>Requests that failed (HTTP error or exception).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public long Rounds => Interlocked.Read(ref _rounds);

    public IReadOnlyList<string> LostWrites
    {
        get
        {
            lock (_lostWrites)
            {
                return [.. _lostWrites];
            }
        }
    }

    public string LastErrors
    {
        get
        {
            lock (_errors)
            {
                return string.Join(" | ", _errors.TakeLast(5));
            }
        }
    }

    /// <summary>Gives every user a session (its first write must succeed), then runs rounds in the background.</summary>
    public async Task StartAsync(int maxRounds, TimeSpan maxTime)
    {
        foreach (var user in _users)
        {
            string value = user.Next();
            Assert.Equal("stored", await user.Client.GetStringAsync(_writer.Url("session/set?value=" + value)));
            user.Acknowledged(value);
        }

        _stop.CancelAfter(maxTime);
        _loop = Task.Run(() => LoopAsync(maxRounds));
    }

    /// <summary>Waits until every user has had <paramref name="perUser"/> more successful write-and-read pairs.</summary>
    public async Task WaitForEveryUserAsync(int perUser, TimeSpan timeout, string what)
    {
        var targets = _users.Select(u => u.Successes + perUser).ToArray();
        await Eventually.TrueAsync(() =>
        {
            if (_loop is { IsCompleted: true })
            {
                throw new InvalidOperationException($"The load loop ended (round or time bound) before {what}; {Rounds} rounds.");
            }

            return Task.FromResult(_users.Select((u, i) => u.Successes >= targets[i]).All(ok => ok));
        }, timeout, $"{what} ({perUser} more successful rounds for each of {_users.Length} users; {Successes} ok, {Failures} failed; last errors: {LastErrors})");
    }

    /// <summary>The session keys' ids are opaque: the number of users whose session id is known to the server is what we can check.</summary>
    public int UserCount => _users.Length;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        foreach (var user in _users)
        {
            user.Client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(int maxRounds)
    {
        while (!_stop.IsCancellationRequested && Interlocked.Increment(ref _rounds) <= maxRounds)
        {
            foreach (var user in _users)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                string value = user.Next();
                if (await RequestAsync(_writer.Url("session/set?value=" + value), user) is not "stored")
                {
                    user.Failed(value);
                    continue;
                }

                user.Acknowledged(value);
                string? read = await RequestAsync(_reader.Url("session/get"), user);
                if (read is null)
                {
                    continue;
                }

                if (!user.CouldRead(read))
                {
                    lock (_lostWrites)
                    {
                        _lostWrites.Add($"user {user.Id} read '{read}' after '{value}' was acknowledged");
                    }

                    continue;
                }

                user.Succeeded();
                Interlocked.Increment(ref _successes);
            }
        }
    }

    private async Task<string?> RequestAsync(Uri url, User user)
    {
        try
        {
            using var response = await user.Client.GetAsync(url, _stop.Token);
            string body = await response.Content.ReadAsStringAsync(_stop.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return body;
            }

            Record($"{url.AbsolutePath}: {(int)response.StatusCode}");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Record($"{url.AbsolutePath}: {ex.Message}");
        }

        Interlocked.Increment(ref _failures);
        return null;
    }

    private void Record(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
            if (_errors.Count > 50)
            {
                _errors.RemoveAt(0);
            }
        }
    }

    private sealed class User(int id)
    {
        private readonly HashSet<string> _failedSinceAck = [];
        private string? _acknowledged;
        private int _counter;
        private long _successes;

        public int Id => id;

        public HttpClient Client { get; } = FarmApp.CreateClient(new CookieContainer());

        public long Successes => Interlocked.Read(ref _successes);

        public string Next() => $"u{id}-{++_counter}";

        public void Acknowledged(string value)
        {
            _acknowledged = value;
            _failedSinceAck.Clear();
        }

        public void Failed(string value) => _failedSinceAck.Add(value);

        public bool CouldRead(string value) => value == _acknowledged || _failedSinceAck.Contains(value);

        public void Succeeded() => Interlocked.Increment(ref _successes);
    }
}
