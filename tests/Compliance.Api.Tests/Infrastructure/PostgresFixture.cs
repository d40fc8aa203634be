using Compliance.Storage.Local;
using Npgsql;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: the project-local cluster under
/// <c>.data/test-postgres</c> (created and started if needed, stopped at the end), or the server named
/// by <c>COMPLIANCE_TEST_PG</c> (an owner connection string) when set. Each app under test gets
/// its own fresh database, migrated by the app itself on start.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly List<string> _databases = [];
    private readonly List<ComplianceApp> _apps = [];
    private LocalPostgres? _local;
    private ComplianceApp? _shared;

    public DatabaseConnections Server { get; private set; } = new("", "");

    /// <summary>The run's fixture (one per test process: the Api tests form one collection and run one at a time).</summary>
    internal static PostgresFixture? Current { get; private set; }

    public async Task InitializeAsync()
    {
        Current = this;
        var external = Environment.GetEnvironmentVariable("COMPLIANCE_TEST_PG");
        if (!string.IsNullOrEmpty(external))
        {
            Server = new DatabaseConnections(external, external);
            return;
        }

        var root = RepositoryRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Compliance.sln not found.");
        _local = await LocalPostgres.StartAsync(LocalPostgresLocation.Resolve(Path.Combine(root, ".data", "test-postgres")));
        Server = _local.Connections;
    }

    /// <summary>The app most tests share; tests isolate themselves by creating their own tenants and holders.</summary>
    public async Task<ComplianceApp> SharedAppAsync()
    {
        _shared ??= await CreateAppAsync("shared");
        return _shared;
    }

    /// <summary>A separate app on a fresh database, for tests that tamper with the log or change services.</summary>
    public async Task<ComplianceApp> CreateAppAsync(string name, Action<ComplianceAppOptions>? configure = null) =>
        await CreateAppOnAsync(await NewDatabaseAsync(name), configure);

    /// <summary>Another API node on an existing database: how the service scales out.</summary>
    public async Task<ComplianceApp> CreateAppOnAsync(DatabaseConnections db, Action<ComplianceAppOptions>? configure = null)
    {
        var options = new ComplianceAppOptions(db);
        configure?.Invoke(options);
        var app = new ComplianceApp(options);
        lock (_apps)
        {
            _apps.Add(app);
        }

        await app.StartAsync();
        return app;
    }

    /// <summary>How many hosts have been started so far (a mark for <see cref="StopHostsStartedSinceAsync"/>).</summary>
    internal int HostsStarted
    {
        get
        {
            lock (_apps)
            {
                return _apps.Count;
            }
        }
    }

    /// <summary>Stops the hosts started after <paramref name="mark"/>, except the shared one; stopping a stopped host is a no-op.</summary>
    internal async Task StopHostsStartedSinceAsync(int mark)
    {
        ComplianceApp[] started;
        lock (_apps)
        {
            started = _apps.Skip(mark).Where(a => !ReferenceEquals(a, _shared)).ToArray();
        }

        foreach (var app in started)
        {
            try
            {
                await app.DisposeAsync();
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"PostgresFixture: stopping a test host failed: {ex.Message}");
            }
        }
    }

    public async Task<DatabaseConnections> NewDatabaseAsync(string name)
    {
        var dbName = $"t_{name.ToLowerInvariant()}_{Guid.NewGuid():N}"[..40];
        _databases.Add(dbName);
        if (_local is not null)
        {
            return await _local.CreateDatabaseAsync(dbName);
        }

        await using var conn = new NpgsqlConnection(Server.Owner);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"create database {dbName}", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(Server.Owner) { Database = dbName }.ConnectionString;
        return new DatabaseConnections(cs, cs);
    }

    public async Task DisposeAsync()
    {
        try
        {
            // Every host a test started and did not stop (a failed assertion skips a test's own disposal) stops here,
            // before its database is dropped under its background services. Disposing a stopped host again is a no-op.
            foreach (var app in _apps)
            {
                try
                {
                    await app.DisposeAsync();
                }
                catch (Exception ex)
                {
                    // A host whose start a test expected to fail has nothing to stop; its error was the test's to assert.
                    await Console.Error.WriteLineAsync($"PostgresFixture: stopping a test host failed: {ex.Message}");
                }
            }

            await DropDatabasesAsync();
        }
        finally
        {
            // Whatever failed above, the cluster this run started is stopped: a red clean-up must not leave a server behind.
            if (_local is not null)
            {
                await _local.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Best effort: on the local cluster the databases go with the cluster anyway, and on a busy machine
    /// <c>drop database … with (force)</c> can time out while a terminated backend is still exiting. A failed drop is
    /// reported, not thrown, so the clean-up of a green run cannot turn it red.
    /// </summary>
    private async Task DropDatabasesAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var admin = new NpgsqlConnectionStringBuilder(Server.Owner) { Database = "postgres", CommandTimeout = 60 };
        try
        {
            await using var conn = new NpgsqlConnection(admin.ConnectionString);
            await conn.OpenAsync();
            foreach (var db in _databases)
            {
                try
                {
                    await using var drop = new NpgsqlCommand($"drop database if exists {db} with (force)", conn);
                    await drop.ExecuteNonQueryAsync();
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    await Console.Error.WriteLineAsync($"PostgresFixture: could not drop test database {db}: {ex.Message}");
                }
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"PostgresFixture: could not clean up the test databases: {ex.Message}");
        }

        if (Directory.Exists(ComplianceApp.DataRoot))
        {
            Directory.Delete(ComplianceApp.DataRoot, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
