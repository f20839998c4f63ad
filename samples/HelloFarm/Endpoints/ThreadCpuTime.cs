using System.Runtime.InteropServices;

namespace HelloFarm.Endpoints;

/// <summary>
/// The CPU time the calling thread has used (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)), so `/work?ms=N` does a
/// fixed amount of work, as a real CPU-bound request does: on a server with less CPU it takes longer, instead of
/// finishing on time having done less. Null elsewhere (the caller measures wall time then).
/// </summary>
internal static partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    public static TimeSpan? Now()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTimeId, out var time) != 0)
        {
            return null;
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
