using Compliance.Policies.Engine;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Compliance.Generation.Gates;

namespace Compliance.Api.Policies;

/// <summary>
/// The current policy set. Loaded at start (an invalid set stops start-up: there is nothing safe to
/// fall back to), then watched: a valid edit is swapped in atomically; an invalid edit keeps the last
/// good set, is logged with every file:line error, and turns readiness to degraded until fixed.
/// </summary>
internal sealed class PolicyStore : IPolicySource, IDisposable
{
    private readonly string _directory;
    private readonly ILogger<PolicyStore> _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _debounce;
    private readonly Lock _reloadLock = new();
    private volatile PolicySet _current;
    private volatile IReadOnlyList<PolicyLoadError> _lastErrors = [];

    public PolicyStore(string directory, bool watch, ILogger<PolicyStore> logger)
    {
        _directory = directory;
        _logger = logger;
        var result = PolicyLoader.LoadDirectory(directory);
        _current = result.Set ?? throw new InvalidOperationException(
            "The policy set in " + directory + " is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, result.Errors));
        _logger.LogInformation("Policy set {Version} loaded from {Directory} ({Rules} rules)", _current.Version, directory, _current.Rules.Count);
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        if (watch)
        {
            _watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            _watcher.Changed += (_, _) => Schedule();
            _watcher.Created += (_, _) => Schedule();
            _watcher.Deleted += (_, _) => Schedule();
            _watcher.Renamed += (_, _) => Schedule();
            _watcher.EnableRaisingEvents = true;
        }
    }

    public PolicySet Current => _current;

    public IReadOnlyList<PolicyLoadError> LastErrors => _lastErrors;

    /// <summary>Reloads now; returns the errors of the attempt (empty when the new set was swapped in or nothing changed).</summary>
    public IReadOnlyList<PolicyLoadError> Reload()
    {
        lock (_reloadLock)
        {
            PolicyLoadResult result;
            try
            {
                result = PolicyLoader.LoadDirectory(_directory);
            }
            catch (IOException ex)
            {
                // A file mid-save; the watcher will fire again when the write completes.
                _logger.LogDebug(ex, "Policy reload deferred");
                Schedule();
                return _lastErrors;
            }

            if (result.Set is null)
            {
                _lastErrors = result.Errors;
                _logger.LogError("Policy reload rejected; keeping version {Version}. Errors: {Errors}", _current.Version, string.Join(" | ", result.Errors));
                return result.Errors;
            }

            _lastErrors = [];
            if (result.Set.Version != _current.Version)
            {
                _current = result.Set;
                _logger.LogInformation("Policy set {Version} swapped in ({Rules} rules)", result.Set.Version, result.Set.Rules.Count);
            }

            return [];
        }
    }

    private void Schedule() => _debounce.Change(TimeSpan.FromMilliseconds(200), Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }
}

/// <summary>Ready reports the policy version in force and whether the files on disk were rejected.</summary>
internal sealed class PolicyHealthCheck(PolicyStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["version"] = store.Current.Version, ["rules"] = store.Current.Rules.Count };
        var errors = store.LastErrors;
        if (errors.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Policy set loaded.", data));
        }

        data["errors"] = errors.Select(e => e.ToString()).ToArray();
        return Task.FromResult(HealthCheckResult.Degraded("Policy files on disk are invalid; the last good version stays in force.", data: data));
    }
}
