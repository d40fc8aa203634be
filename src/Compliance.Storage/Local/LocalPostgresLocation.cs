using System.Security.Cryptography;
using System.Text;

namespace Compliance.Storage.Local;

/// <summary>Chooses where the embedded cluster lives: the git-ignored <c>.data/</c> of the checkout when the server's user can reach it.</summary>
public static class LocalPostgresLocation
{
    /// <summary>
    /// Returns <paramref name="preferred"/> unless we are root and the <c>postgres</c> user could not
    /// traverse to it (a checkout under /root, say); then a folder under /var/tmp named after it.
    /// </summary>
    public static string Resolve(string preferred)
    {
        var full = Path.GetFullPath(preferred);
        if (Environment.UserName != "root" || OthersCanTraverse(full))
        {
            return full;
        }

        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        return Path.Combine("/var/tmp", "compliance-" + tag, Path.GetFileName(full));
    }

    private static bool OthersCanTraverse(string path)
    {
        for (var dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }

            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
