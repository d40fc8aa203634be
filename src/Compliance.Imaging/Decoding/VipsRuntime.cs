using NetVips;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Process-wide libvips settings, applied once before the first libvips call: no operation cache (every image is new;
/// a cache only holds memory), one libvips worker per call (callers parallelise across images, and the decode gate
/// bounds how many run at once), and the loaders libvips marks untrusted refused.
/// </summary>
internal static class VipsRuntime
{
    private static readonly Lock SetupLock = new();
    private static bool _ready;

    /// <summary>True once libvips is loaded and configured; false where its native library could not be loaded.</summary>
    public static bool TryEnsure()
    {
        lock (SetupLock)
        {
            if (_ready)
            {
                return true;
            }

            if (!ModuleInitializer.VipsInitialized)
            {
                return false;
            }

            Cache.Max = 0;
            Cache.MaxFiles = 0;
            Cache.MaxMem = 0;
            NetVips.NetVips.Concurrency = 1;
            NetVips.NetVips.BlockUntrusted = true;
            _ready = true;
            return true;
        }
    }

    /// <summary>Why libvips is unavailable, for an error message.</summary>
    public static string? LoadError => ModuleInitializer.Exception?.Message;
}
