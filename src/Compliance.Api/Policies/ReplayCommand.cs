using System.Globalization;
using System.Text.Json;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Gates;
using Compliance.Policies.Engine;
using Compliance.Storage.Local;

namespace Compliance.Api.Policies;

/// <summary>
/// <c>dotnet run --project src/Compliance.Api -- replay --policies DIR --from ISO --to ISO [--tenant ID] [--examples N]</c>:
/// the same replay as <c>POST /v1/policies/replay</c>, against the database the service is configured with (or the
/// embedded local one), printing the report as JSON. Any other <c>--Key=value</c> argument is configuration, as for the
/// service (e.g. <c>--ConnectionStrings:Compliance=...</c>). Exit code 0 with a report, 2 for bad arguments or an invalid
/// policy set (each error printed as <c>file:line: message</c>).
/// </summary>
internal static class ReplayCommand
{
    private const string Usage = "usage: replay --policies DIR --from ISO-8601 --to ISO-8601 [--tenant TENANT_ID] [--examples N] [--Key=value ...]";

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "replay";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var (options, configuration, problem) = Parse(args.Skip(1).ToList());
        if (problem is not null)
        {
            await Console.Error.WriteLineAsync(problem + Environment.NewLine + Usage);
            return 2;
        }

        var builder = WebApplication.CreateBuilder(configuration.ToArray());
        builder.AddComplianceDatabase(Console.Error.WriteLine);   // the report alone goes to standard output
        builder.Services.AddPolicyReplay();
        await using var app = builder.Build();
        try
        {
            var replay = app.Services.GetRequiredService<PolicyReplay>();
            var files = Directory.GetFiles(options["policies"], PolicyLoader.PolicyFilePattern).Order(StringComparer.Ordinal)
                .Select(p => new PolicySource(Path.GetFileName(p), File.ReadAllText(p))).ToList();
            var candidate = replay.Load(files);
            if (candidate.Set is not { } set)
            {
                foreach (var error in candidate.Errors)
                {
                    await Console.Error.WriteLineAsync(error.ToString());
                }

                return 2;
            }

            var from = DateTimeOffset.Parse(options["from"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var to = DateTimeOffset.Parse(options["to"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            if (replay.CheckRange(from, to) is { } badRange)
            {
                await Console.Error.WriteLineAsync(badRange);
                return 2;
            }

            var range = new ReplayRange(from, to, options.TryGetValue("tenant", out var t) ? Guid.Parse(t) : null,
                options.TryGetValue("examples", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 5);
            var report = await replay.RunAsync(set, range, null, CancellationToken.None);
            await output.WriteLineAsync(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonNames.Options) { WriteIndented = true }));
            return 0;
        }
        finally
        {
            if (app.Services.GetService<LocalPostgres>() is { } local)
            {
                await local.DisposeAsync();
            }
        }
    }

    /// <summary>The command's own options, the arguments left for configuration, or what is wrong with them.</summary>
    private static (Dictionary<string, string> Options, List<string> Configuration, string? Problem) Parse(List<string> args)
    {
        string[] known = ["policies", "from", "to", "tenant", "examples"];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var configuration = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is not null && known.Contains(name))
            {
                if (i + 1 >= args.Count)
                {
                    return (options, configuration, $"--{name} needs a value.");
                }

                options[name] = args[++i];
            }
            else
            {
                configuration.Add(args[i]);
            }
        }

        foreach (var required in new[] { "policies", "from", "to" })
        {
            if (!options.ContainsKey(required))
            {
                return (options, configuration, $"--{required} is required.");
            }
        }

        if (!Directory.Exists(options["policies"]))
        {
            return (options, configuration, $"--policies {options["policies"]}: no such directory.");
        }

        foreach (var time in new[] { "from", "to" })
        {
            if (!DateTimeOffset.TryParse(options[time], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            {
                return (options, configuration, $"--{time} {options[time]}: not an ISO-8601 time.");
            }
        }

        if (options.TryGetValue("tenant", out var tenant) && !Guid.TryParse(tenant, out _))
        {
            return (options, configuration, $"--tenant {tenant}: not a tenant id.");
        }

        if (options.TryGetValue("examples", out var examples) && !(int.TryParse(examples, NumberStyles.None, CultureInfo.InvariantCulture, out var e) && e <= 100))
        {
            return (options, configuration, $"--examples {examples}: a whole number up to 100.");
        }

        return (options, configuration, null);
    }
}
