namespace WebFarm.Agent.Control;

/// <summary>A machine's load, sent with every heartbeat (read from /proc on Linux; zeros where unavailable).</summary>
/// <param name="CpuPercent">Busy share of all cores since the previous sample, 0-100.</param>
/// <param name="MemoryUsedBytes">Total minus available memory.</param>
/// <param name="MemoryTotalBytes">Physical memory.</param>
/// <param name="LoadAverage1">The 1-minute load average.</param>
/// <param name="LoadAverage5">The 5-minute load average.</param>
/// <param name="LoadAverage15">The 15-minute load average.</param>
public sealed record ServerLoad(double CpuPercent, long MemoryUsedBytes, long MemoryTotalBytes, double LoadAverage1, double LoadAverage5, double LoadAverage15)
{
    public static ServerLoad Empty { get; } = new(0, 0, 0, 0, 0, 0);
}
