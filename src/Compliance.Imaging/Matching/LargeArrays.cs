using System.Runtime.InteropServices;

namespace Compliance.Imaging.Matching;

/// <summary>
/// Arrays for the index's big tables: pinned (so their address is stable) and, on Linux, marked for transparent huge
/// pages before anything touches them. A query reads entries at random places in hundreds of megabytes; with 4 KiB
/// pages nearly every such read also misses the TLB and walks the page tables, with 2 MiB pages it does not (ADR-024).
/// The advice is a hint: where the kernel ignores it (THP off, no huge page free) the arrays work the same.
/// </summary>
internal static partial class LargeArrays
{
    private const int HugePageBytes = 2 * 1024 * 1024;
    private const int MadvHugePage = 14;

    /// <summary>
    /// An array whose contents are undefined: the caller writes every element (or clears it). Large arrays are always
    /// pinned; <paramref name="pinned"/> pins small ones too (for a caller that aligns to the array's address).
    /// </summary>
    public static unsafe T[] AllocateUninitialized<T>(int length, bool pinned = false)
        where T : unmanaged
    {
        var bytes = (long)length * sizeof(T);
        if (bytes < 2L * HugePageBytes)
        {
            return GC.AllocateUninitializedArray<T>(length, pinned);
        }

        var array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        if (OperatingSystem.IsLinux())
        {
            fixed (T* start = array)
            {
                var first = ((nint)start + HugePageBytes - 1) & ~(nint)(HugePageBytes - 1);
                var end = ((nint)start + (nint)bytes) & ~(nint)(HugePageBytes - 1);
                if (end > first)
                {
                    // Ignored on failure (EINVAL where THP is compiled out): the array is just as correct without it.
                    _ = Madvise(first, (nuint)(end - first), MadvHugePage);
                }
            }
        }

        return array;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
