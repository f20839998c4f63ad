using System.Globalization;
using System.Text.Json;

namespace WebFarm.Commands;

/// <summary>
/// The plain-line progress of one deployment (`webfarm deploy` when the output is not a terminal): one line per phase
/// change of each server, read from the controller's server-updated events, so no phase is missed between two polls
/// of the deployment (draining an idle instance takes a few milliseconds, far less than the 500 ms poll). When events
/// were lost (older than the controller's event buffer) or cannot be read, <see cref="Complete"/> turns false and the
/// caller prints the changes it sees in the deployment's record instead.
/// </summary>
internal sealed class DeploymentPhaseLines(long id, string app)
{
    private const int Page = 1000;
    private readonly string _prefix = string.Create(CultureInfo.InvariantCulture, $"deployment {id} of {app}: ");
    private long _since;

    /// <summary>False once an event of this deployment may have been missed.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>Prints the phase changes published since the last call; the first call reads the whole event buffer.</summary>
    public async Task PrintNewAsync(AdminClient api, CancellationToken ct)
    {
        if (!Complete)
        {
            return;
        }

        try
        {
            int count;
            do
            {
                using var events = await api.GetJsonAsync(string.Create(CultureInfo.InvariantCulture, $"api/events?since={_since}&max={Page}"), ct);
                count = 0;
                foreach (var e in events.RootElement.EnumerateArray())
                {
                    count++;
                    var sequence = e.GetProperty("sequence").GetInt64();
                    var kind = e.GetProperty("kind").GetString();

                    // A gap after the first read means events were dropped; before it, it is only the buffer's start.
                    Complete &= _since == 0 || sequence == _since + 1;
                    Complete &= kind != "events-lost";
                    _since = Math.Max(_since, sequence);
                    if (kind == "server-updated" && e.GetProperty("message").GetString() is { } message && message.StartsWith(_prefix, StringComparison.Ordinal))
                    {
                        // "deployment 7 of hello: web1 gating (serving release 6)" → "web1: gating (serving release 6)".
                        var change = message[_prefix.Length..];
                        var space = change.IndexOf(' ', StringComparison.Ordinal);
                        var time = e.GetProperty("time").GetDateTimeOffset();
                        Console.WriteLine(space < 0 ? $"{time:HH:mm:ss} {change}" : $"{time:HH:mm:ss} {change[..space]}: {change[(space + 1)..]}");
                    }
                }
            }
            while (count == Page);
        }
        catch (HttpRequestException)
        {
            Complete = false; // A controller that cannot answer events now: the record's changes are printed instead.
        }
    }
}
