using System.Globalization;

namespace WebFarm.Agent.Control;

/// <summary>
/// Samples the machine's load from /proc (stat, meminfo, loadavg). CPU % is the busy share of all cores between two
/// samples, so the first sample reports 0. Where /proc is missing (not Linux) the values are zero.
/// </summary>
public sealed class LoadSampler
{
    private readonly string _proc;
    private long _lastBusy;
    private long _lastTotal;

    public LoadSampler(string proc = "/proc")
    {
        _proc = proc;
    }

    public ServerLoad Sample()
    {
        var cpu = SampleCpu();
        var (used, total) = SampleMemory();
        var (one, five, fifteen) = SampleLoadAverage();
        return new ServerLoad(cpu, used, total, one, five, fifteen);
    }

    private double SampleCpu()
    {
        var line = FirstLine("stat");
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return 0;
        }

        // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long total = 0, idle = 0;
        for (var i = 1; i < fields.Length && i <= 8; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return 0;
            }

            total += value;
            if (i is 4 or 5)
            {
                idle += value;
            }
        }

        var busy = total - idle;
        var deltaTotal = total - _lastTotal;
        var deltaBusy = busy - _lastBusy;
        var first = _lastTotal == 0;
        _lastTotal = total;
        _lastBusy = busy;
        return first || deltaTotal <= 0 ? 0 : Math.Round(Math.Clamp(100.0 * deltaBusy / deltaTotal, 0, 100), 1);
    }

    private (long Used, long Total) SampleMemory()
    {
        long total = 0, available = 0;
        foreach (var line in Lines("meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kilobytes(line);
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kilobytes(line);
            }
        }

        return (Math.Max(0, total - available), total);

        static long Kilobytes(string line)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0;
        }
    }

    private (double One, double Five, double Fifteen) SampleLoadAverage()
    {
        var fields = FirstLine("loadavg")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields is null || fields.Length < 3)
        {
            return (0, 0, 0);
        }

        return (Parse(fields[0]), Parse(fields[1]), Parse(fields[2]));

        static double Parse(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }

    private string? FirstLine(string name)
    {
        foreach (var line in Lines(name))
        {
            return line;
        }

        return null;
    }

    private IEnumerable<string> Lines(string name)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(_proc, name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        return lines;
    }
}
