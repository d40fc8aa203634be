using System.Data.Common;
using Npgsql;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Defaults the service applies to the app role's connection string, each only where the string does not set that
/// keyword itself (an operator's explicit value, even the driver's own default, wins). Auto-preparation lets PostgreSQL
/// keep the plans of the statements every request or log batch sends (the change-number read, the chain head, the grant
/// and consent lookups) instead of parsing and planning them again each time (ADR-034).
/// </summary>
internal static class ConnectionDefaults
{
    /// <summary>Statements kept prepared per physical connection; the hot path sends fewer than ten distinct ones.</summary>
    internal const int MaxAutoPrepare = 32;

    /// <summary>Uses before a statement is prepared: a statement sent once (a console page) is not prepared at all.</summary>
    internal const int AutoPrepareMinUsages = 2;

    public static string Apply(string connectionString)
    {
        // DbConnectionStringBuilder holds exactly the keywords the string gives (NpgsqlConnectionStringBuilder answers
        // ContainsKey true for every keyword it knows, which is how ADR-031's first attempt never applied its default).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var result = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(given, "Max Auto Prepare"))
        {
            result.MaxAutoPrepare = MaxAutoPrepare;
        }

        if (!Sets(given, "Auto Prepare Min Usages"))
        {
            result.AutoPrepareMinUsages = AutoPrepareMinUsages;
        }

        return result.ConnectionString;
    }

    private static bool Sets(DbConnectionStringBuilder given, string keyword)
    {
        foreach (string key in given.Keys)
        {
            if (string.Equals(Compact(key), Compact(keyword), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Compact(string keyword) => keyword.Replace(" ", "", StringComparison.Ordinal);
}
