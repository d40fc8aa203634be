using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Compliance.Storage.Local;

/// <summary>Connection strings for the two roles: the owner runs migrations, the app role serves requests.</summary>
public sealed record DatabaseConnections(string Owner, string App);

/// <summary>
/// A project-local PostgreSQL cluster for development and tests: created with <c>initdb</c> on first
/// use, started with <c>pg_ctl</c> on a free loopback port, stopped cleanly on dispose. Postgres
/// refuses to run as root, so as root every server command runs as the <c>postgres</c> user, and the
/// data folder must be one that user can reach (a folder under /root is not).
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string Database = "compliance";
    public const string OwnerRole = "compliance_owner";
    public const string AppRole = "compliance_app";

    private readonly string _dataDir;
    private readonly string _binDir;
    private readonly Action<string> _log;
    private bool _startedByUs;

    private LocalPostgres(string dataDir, string binDir, Action<string> log)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        _log = log;
    }

    public int Port { get; private set; }

    public DatabaseConnections Connections { get; private set; } = new("", "");

    public string DataDirectory => _dataDir;

    /// <summary>Creates (if needed) and starts the cluster in <paramref name="rootDir"/>, then ensures the database and roles exist.</summary>
    public static async Task<LocalPostgres> StartAsync(string rootDir, Action<string>? log = null, CancellationToken ct = default)
    {
        log ??= _ => { };
        var binDir = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Run ./scripts/setup (installs Debian's postgresql package) or set ConnectionStrings__Compliance.");
        Directory.CreateDirectory(rootDir);
        var pg = new LocalPostgres(Path.Combine(Path.GetFullPath(rootDir), "pgdata"), binDir, log);
        await pg.StartCoreAsync(ct);
        return pg;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private string CredentialsFile => Path.Combine(Path.GetDirectoryName(_dataDir)!, "credentials.json");

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var credentials = LoadOrCreateCredentials();
        if (!File.Exists(Path.Combine(_dataDir, "PG_VERSION")))
        {
            await InitDbAsync(credentials.OwnerPassword, ct);
        }

        if (RunningPort() is { } running)
        {
            Port = running;
            _log($"Using the local PostgreSQL already running on port {Port} ({_dataDir}).");
        }
        else
        {
            Port = FreePort();
            var socketDir = Path.Combine(Path.GetDirectoryName(_dataDir)!, "run");
            Directory.CreateDirectory(socketDir);
            ChownToPostgres(socketDir);
            var options = $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{socketDir}' -c max_connections=200 -c fsync=on";
            await RunAsync(Path.Combine(_binDir, "pg_ctl"), ["start", "-w", "-t", "60", "-D", _dataDir, "-l", Path.Combine(Path.GetDirectoryName(_dataDir)!, "postgres.log"), "-o", options], ct);
            _startedByUs = true;
            _log($"Started local PostgreSQL on 127.0.0.1:{Port} ({_dataDir}).");
        }

        var owner = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = OwnerRole, Password = credentials.OwnerPassword, Database = "postgres",
        };
        await EnsureDatabaseAndAppRoleAsync(owner.ConnectionString, credentials.AppPassword, ct);
        owner.Database = Database;
        var app = new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Username = AppRole, Password = credentials.AppPassword };
        Connections = new DatabaseConnections(owner.ConnectionString, app.ConnectionString);
    }

    private async Task InitDbAsync(string ownerPassword, CancellationToken ct)
    {
        Directory.CreateDirectory(_dataDir);
        ChownToPostgres(Path.GetDirectoryName(_dataDir)!);
        ChownToPostgres(_dataDir);
        var pwFile = Path.Combine(Path.GetDirectoryName(_dataDir)!, ".initdb-pw");
        await File.WriteAllTextAsync(pwFile, ownerPassword, ct);
        ChownToPostgres(pwFile);
        try
        {
            await RunAsync(Path.Combine(_binDir, "initdb"),
                ["-D", _dataDir, "-U", OwnerRole, "--pwfile", pwFile, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"], ct);
        }
        finally
        {
            File.Delete(pwFile);
        }

        _log($"Created local PostgreSQL cluster in {_dataDir}.");
    }

    private static async Task EnsureDatabaseAndAppRoleAsync(string ownerConnectionString, string appPassword, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using (var cmd = new NpgsqlCommand("select 1 from pg_roles where rolname = $1", conn) { Parameters = { new() { Value = AppRole } } })
        {
            if (await cmd.ExecuteScalarAsync(ct) is null)
            {
                // CREATE ROLE takes no bind parameters; the password is our own generated base64url text.
                await using var create = new NpgsqlCommand($"create role {AppRole} login password '{appPassword}'", conn);
                await create.ExecuteNonQueryAsync(ct);
            }
        }

        await using (var cmd = new NpgsqlCommand("select 1 from pg_database where datname = $1", conn) { Parameters = { new() { Value = Database } } })
        {
            if (await cmd.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand($"create database {Database} owner {OwnerRole}", conn);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>Creates a fresh, empty database next to the main one (for test isolation); returns its connections.</summary>
    public async Task<DatabaseConnections> CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        if (!name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw new ArgumentException("Database names here are lower-case letters, digits and underscores.", nameof(name));
        }

        var admin = new NpgsqlConnectionStringBuilder(Connections.Owner) { Database = "postgres" };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"drop database if exists {name} with (force)", conn);
            await drop.ExecuteNonQueryAsync(ct);
            await using var create = new NpgsqlCommand($"create database {name} owner {OwnerRole}", conn);
            await create.ExecuteNonQueryAsync(ct);
        }

        return new DatabaseConnections(
            new NpgsqlConnectionStringBuilder(Connections.Owner) { Database = name }.ConnectionString,
            new NpgsqlConnectionStringBuilder(Connections.App) { Database = name }.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_startedByUs)
        {
            NpgsqlConnection.ClearAllPools();
            await RunAsync(Path.Combine(_binDir, "pg_ctl"), ["stop", "-w", "-m", "fast", "-D", _dataDir], CancellationToken.None);
            _log("Stopped local PostgreSQL.");
        }
    }

    private int? RunningPort()
    {
        var pidFile = Path.Combine(_dataDir, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var lines = File.ReadAllLines(pidFile);
        if (lines.Length > 3 && int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid) && ProcessExists(pid) &&
            int.TryParse(lines[3], CultureInfo.InvariantCulture, out var port))
        {
            return port;
        }

        return null; // stale pid file from a crash: pg_ctl start cleans it up
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed record Credentials(string OwnerPassword, string AppPassword);

    private Credentials LoadOrCreateCredentials()
    {
        if (File.Exists(CredentialsFile))
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(CredentialsFile))!;
        }

        var created = new Credentials(RandomSecret(), RandomSecret());
        File.WriteAllText(CredentialsFile, JsonSerializer.Serialize(created));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(CredentialsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return created;
    }

    private static string RandomSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', 'x').Replace('/', 'y').TrimEnd('=');

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void ChownToPostgres(string path)
    {
        if (IsRoot)
        {
            RunAsync("chown", ["-R", "postgres:postgres", path], CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    internal static string? FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("COMPLIANCE_PG_BIN");
        if (!string.IsNullOrEmpty(configured) && File.Exists(Path.Combine(configured, "initdb")))
        {
            return configured;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return Path.Combine(newest.Dir, "bin");
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return null;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (IsRoot && file != "chown")
        {
            psi.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.FileName = file;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
