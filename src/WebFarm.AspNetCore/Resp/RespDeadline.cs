using System.Diagnostics;

namespace WebFarm.AspNetCore.Resp;

/// <summary>The time budget of one command, redirections and retries included: started now, <see cref="Timeout"/> long.</summary>
internal readonly struct RespDeadline(TimeSpan timeout)
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public TimeSpan Timeout => timeout;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>What is left; at least one tick, so a WaitAsync on an exhausted budget times out at once instead of throwing.</summary>
    public TimeSpan Remaining
    {
        get
        {
            var left = timeout - Elapsed;
            return left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
        }
    }
}
