using System.Globalization;

namespace WebFarm.Agent.Apps;

/// <summary>
/// A process's CPU and resident memory from /proc/PID/stat and /proc/PID/statm (Linux; zeros elsewhere). CPU % is
/// the process's user + system time between two samples over the wall time between them, in % of one core.
/// </summary>
public sealed class ProcessUsage
{
    // USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private int _pid;
    private long _lastTicks;
    private long _lastTimestamp;

    /// <summary>Samples <paramref name="pid"/>; the first sample of a process reports 0 % CPU.</summary>
    public (double CpuPercent, long MemoryBytes) Sample(int pid)
    {
        var ticks = CpuTicks(pid);
        var memory = ResidentBytes(pid);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        double cpu = 0;
        if (pid == _pid && ticks >= _lastTicks && _lastTimestamp != 0)
        {
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            cpu = seconds <= 0 ? 0 : Math.Round(100.0 * (ticks - _lastTicks) / TicksPerSecond / seconds, 1);
        }

        _pid = pid;
        _lastTicks = ticks;
        _lastTimestamp = now;
        return (cpu, memory);
    }

    private static long CpuTicks(int pid)
    {
        var text = Read($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        // "pid (comm) state ppid ...": comm may hold spaces, so fields are counted after its closing parenthesis;
        // utime and stime are fields 14 and 15, the 12th and 13th after it.
        var close = text?.LastIndexOf(')') ?? -1;
        if (text is null || close < 0)
        {
            return 0;
        }

        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : 0;
    }

    private static long ResidentBytes(int pid)
    {
        var fields = Read($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/statm")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 1 } && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
            ? pages * Environment.SystemPageSize
            : 0;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
