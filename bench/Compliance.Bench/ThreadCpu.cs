using System.Runtime.InteropServices;

namespace Compliance.Bench;

/// <summary>
/// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): a call's own cost, without the time the thread waited for
/// a core. On a machine shared with other work the wall-clock tail is mostly that wait; this is the part the code can
/// remove. One copy for every bench (Compliance.TextPathAb links this file).
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    /// <summary>Nanoseconds.</summary>
    public static long Now()
    {
        _ = ClockGetTime(ClockThreadCpuTime, out var ts);
        return (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds;
    }

    public static double Milliseconds() => Now() / 1e6;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
