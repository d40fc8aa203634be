using System.Text.Json;
using Compliance.Generation.Gates;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Policies;

/// <summary>The bounds of a replay (section <c>Replay</c>).</summary>
internal sealed class ReplayOptions
{
    public const string Section = "Replay";

    /// <summary>The longest time range one replay may cover.</summary>
    public TimeSpan MaxRange { get; set; } = TimeSpan.FromDays(92);

    /// <summary>
    /// The most decisions one replay evaluates. A range holding more is replayed up to this many, oldest first, and the
    /// report says it is incomplete and where to resume (<c>resumeFrom</c>).
    /// </summary>
    public int MaxDecisions { get; set; } = 200_000;

    /// <summary>The most examples the report lists per outcome transition (a request may ask for fewer).</summary>
    public int MaxExamplesPerTransition { get; set; } = 20;

    /// <summary>The most policy files a candidate set may have, and the largest one, in characters.</summary>
    public int MaxFiles { get; set; } = 64;

    public int MaxFileChars { get; set; } = 256 * 1024;
}

/// <summary>What to replay: which decisions (time range, optionally one tenant) and how many examples to list per transition.</summary>
internal sealed record ReplayRange(DateTimeOffset From, DateTimeOffset To, Guid? TenantId, int ExamplesPerTransition);

/// <summary>What a candidate policy set would have decided differently over a range of recorded decisions.</summary>
internal sealed record ReplayReport
{
    public string CandidatePolicyVersion { get; init; } = "";

    /// <summary>The policy version in force on this node when the replay ran (null from the command line).</summary>
    public string? ActivePolicyVersion { get; init; }

    public DateTimeOffset From { get; init; }
    public DateTimeOffset To { get; init; }
    public Guid? TenantId { get; init; }

    /// <summary>False when the range held more than <see cref="ReplayOptions.MaxDecisions"/>; replay again from <see cref="ResumeFrom"/>.</summary>
    public bool Complete { get; init; }

    public DateTimeOffset? ResumeFrom { get; init; }

    /// <summary>Decisions read from the log in the range (replayed or not).</summary>
    public long Decisions { get; init; }

    public long Replayed { get; init; }

    /// <summary>Replayed decisions whose outcome or deciding rules would differ.</summary>
    public long Changed { get; init; }

    public long Unchanged { get; init; }

    /// <summary>Decisions whose record lacks something the engine needs; counted by reason, never guessed at.</summary>
    public long NotReplayable { get; init; }

    public IReadOnlyList<NotReplayableCount> NotReplayableReasons { get; init; } = [];

    /// <summary>Every recorded → candidate outcome pair seen (unchanged pairs included), most frequent first.</summary>
    public IReadOnlyList<TransitionCount> Transitions { get; init; } = [];

    /// <summary>Per rule: in how many replayed decisions it decided the outcome as recorded, and would under the candidate.</summary>
    public IReadOnlyList<RuleCount> ByRule { get; init; } = [];

    /// <summary>Which policy versions decided the replayed decisions when they were recorded.</summary>
    public IReadOnlyList<VersionCount> RecordedPolicyVersions { get; init; } = [];

    /// <summary>Changed decisions, up to the asked number per transition, each with a link to the decision.</summary>
    public IReadOnlyList<ReplayExample> Examples { get; init; } = [];
}

internal sealed record TransitionCount(string From, string To, long Count);

internal sealed record RuleCount(string Rule, long Before, long After);

internal sealed record VersionCount(string PolicyVersion, long Count);

internal sealed record NotReplayableCount(string Reason, long Count, IReadOnlyList<Guid> ExampleDecisionIds);

internal sealed record ReplayExample(
    Guid DecisionId, string Link, DateTimeOffset CreatedAt, Guid TenantId, string Subject, string From, string To,
    IReadOnlyList<string> RulesBefore, IReadOnlyList<string> RulesAfter, string RecordedPolicyVersion);

/// <summary>
/// Policy replay (ADR-018): evaluates a candidate policy set against the signals and facts recorded with past decisions
/// and reports what would change. Read-only: it reads the log and writes nothing, anywhere. A recorded decision carries
/// everything the engine reads (subject, every signal with classifier, model version, score and evidence, the grant or
/// consent fact each signal's rule saw, the policy version); one whose record lacks any of it is counted as not
/// replayable, with the reason. The endpoint and the <c>replay</c> command both run this.
/// </summary>
internal sealed class PolicyReplay(NpgsqlDataSource db, IOptions<ReplayOptions> options)
{
    private const int MaxExampleIdsPerReason = 5;

    public ReplayOptions Options => options.Value;

    /// <summary>Loads a candidate set from uploaded files: the set, or every error (file and line) and nothing else.</summary>
    public PolicyLoadResult Load(IReadOnlyList<PolicySource> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var o = options.Value;
        var errors = new List<PolicyLoadError>();
        if (files.Count > o.MaxFiles)
        {
            errors.Add(new PolicyLoadError("(policies)", 0, $"at most {o.MaxFiles} policy files may be replayed at once; got {files.Count}."));
        }

        foreach (var f in files)
        {
            if (string.IsNullOrWhiteSpace(f.Name) || f.Name.Length > 200 || f.Name.IndexOfAny(['/', '\\', '\0']) >= 0 || !f.Name.EndsWith(".policy.yaml", StringComparison.Ordinal))
            {
                errors.Add(new PolicyLoadError(string.IsNullOrWhiteSpace(f.Name) ? "(unnamed)" : f.Name, 0, "a policy file's name must be a plain file name ending in .policy.yaml."));
            }
            else if (f.Content.Length > o.MaxFileChars)
            {
                errors.Add(new PolicyLoadError(f.Name, 0, $"the file is larger than {o.MaxFileChars} characters."));
            }
        }

        foreach (var duplicate in files.GroupBy(f => f.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add(new PolicyLoadError(duplicate.Key, 0, "the same file name is given more than once."));
        }

        return errors.Count > 0 ? new PolicyLoadResult(null, errors) : PolicyLoader.Load(files);
    }

    /// <summary>The range's problem, or null when it is within bounds.</summary>
    public string? CheckRange(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return "to must be after from.";
        }

        return to - from > options.Value.MaxRange ? $"the range may cover at most {options.Value.MaxRange.TotalDays:0.##} days." : null;
    }

    /// <summary>Replays every decision of the range, oldest first, up to <see cref="ReplayOptions.MaxDecisions"/>.</summary>
    public async Task<ReplayReport> RunAsync(PolicySet candidate, ReplayRange range, string? activeVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(range);
        var max = options.Value.MaxDecisions;
        var perTransition = Math.Clamp(range.ExamplesPerTransition, 0, options.Value.MaxExamplesPerTransition);
        var tally = new Tally(perTransition);
        DateTimeOffset? resumeFrom = null;

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            select id, tenant_id, created_at, payload from decisions
            where kind = 'decision' and created_at >= $1 and created_at < $2 and ($3::uuid is null or tenant_id = $3)
            order by created_at, seq
            limit $4
            """,
            conn)
        {
            Parameters =
            {
                new() { Value = range.From.ToUniversalTime() },
                new() { Value = range.To.ToUniversalTime() },
                new() { Value = (object?)range.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
                new() { Value = max + 1 },
            },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var createdAt = reader.GetFieldValue<DateTimeOffset>(2);
            if (tally.Decisions == max)
            {
                resumeFrom = createdAt;
                break;
            }

            tally.Add(reader.GetGuid(0), reader.GetGuid(1), createdAt, reader.GetString(3), candidate);
        }

        return tally.Report(candidate, range, activeVersion, resumeFrom);
    }

    /// <summary>The engine's input as recorded with a decision, or why it cannot be rebuilt.</summary>
    internal static (Recorded? Decision, string? Problem) Rebuild(string payload)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, "the record is not JSON");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "the record is not a decision");
        }

        if (Text(root, "subject") is not { } subject || Text(root, "outcome") is not { } outcome)
        {
            return (null, "the record has no subject or outcome");
        }

        if (Text(root, "policyVersion") is not { } version)
        {
            return (null, "the record has no policy version");
        }

        if (!root.TryGetProperty("reasons", out var reasons) || reasons.ValueKind != JsonValueKind.Array || reasons.GetArrayLength() == 0)
        {
            return (null, "the record has no reasons (its signals were not kept)");
        }

        var signals = new List<Signal>();
        var facts = new List<GrantFact>();
        var rules = new List<string>();
        foreach (var reason in reasons.EnumerateArray())
        {
            if (Text(reason, "rule") is not { } rule || Text(reason, "outcome") is not { } reasonOutcome)
            {
                return (null, "a reason has no rule or outcome");
            }

            if (reasonOutcome == outcome)
            {
                rules.Add(rule);
            }

            if (!reason.TryGetProperty("signal", out var signal) || signal.ValueKind == JsonValueKind.Null)
            {
                // Only "nothing was signalled" is decided without a signal; any other signal-less reason lost its signal.
                if (rule == PolicyDefaults.BuiltIn.NoSignals.Id && reasons.GetArrayLength() == 1)
                {
                    continue;
                }

                return (null, "a reason has no signal (recorded before signals were kept)");
            }

            if (Text(signal, "classifier") is null || Text(signal, "modelVersion") is null || Text(signal, "kind") is null
                || !signal.TryGetProperty("score", out var score) || score.ValueKind != JsonValueKind.Number
                || !signal.TryGetProperty("evidence", out var evidence) || evidence.ValueKind != JsonValueKind.Object)
            {
                return (null, "a signal lacks its classifier, model version, kind, score or evidence");
            }

            try
            {
                signals.Add(signal.Deserialize<Signal>(JsonNames.Options)!);
                if (reason.TryGetProperty("fact", out var fact) && fact.ValueKind == JsonValueKind.Object)
                {
                    facts.Add(fact.Deserialize<GrantFact>(JsonNames.Options)!);
                }
            }
            catch (JsonException)
            {
                return (null, "a signal or fact is not in the recorded shape (an unknown grant state or entity)");
            }
        }

        return (new Recorded(subject, outcome, version, signals, facts.DistinctBy(f => (f.Entity.Type, f.Entity.Id)).ToList(), rules.Distinct().Order(StringComparer.Ordinal).ToList()), null);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>A recorded decision's input and result.</summary>
    internal sealed record Recorded(string Subject, string Outcome, string PolicyVersion, IReadOnlyList<Signal> Signals, IReadOnlyList<GrantFact> Facts, IReadOnlyList<string> DecidingRules);

    /// <summary>The counts of one replay, kept as it streams (no decision is held after it is counted).</summary>
    private sealed class Tally(int examplesPerTransition)
    {
        private readonly Dictionary<(string, string), long> _transitions = [];
        private readonly Dictionary<string, (long Before, long After)> _rules = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long Count, List<Guid> Examples)> _notReplayable = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), List<ReplayExample>> _examples = [];

        public long Decisions { get; private set; }

        private long _replayed;
        private long _changed;

        public void Add(Guid id, Guid tenant, DateTimeOffset createdAt, string payload, PolicySet candidate)
        {
            Decisions++;
            var (recorded, problem) = Rebuild(payload);
            if (recorded is null)
            {
                var (count, examples) = _notReplayable.TryGetValue(problem!, out var seen) ? seen : (0L, new List<Guid>());
                if (examples.Count < MaxExampleIdsPerReason)
                {
                    examples.Add(id);
                }

                _notReplayable[problem!] = (count + 1, examples);
                return;
            }

            _replayed++;
            var decision = PolicyEngine.Evaluate(candidate, new PolicyInput(recorded.Subject, recorded.Signals, recorded.Facts));
            var after = JsonNames.Outcome(decision.Outcome);
            var afterRules = decision.Reasons.Where(r => r.Outcome == decision.Outcome).Select(r => r.Rule).Distinct().Order(StringComparer.Ordinal).ToList();
            var key = (recorded.Outcome, after);
            _transitions[key] = _transitions.GetValueOrDefault(key) + 1;
            _versions[recorded.PolicyVersion] = _versions.GetValueOrDefault(recorded.PolicyVersion) + 1;
            foreach (var rule in recorded.DecidingRules)
            {
                var c = _rules.GetValueOrDefault(rule);
                _rules[rule] = (c.Before + 1, c.After);
            }

            foreach (var rule in afterRules)
            {
                var c = _rules.GetValueOrDefault(rule);
                _rules[rule] = (c.Before, c.After + 1);
            }

            if (after == recorded.Outcome && afterRules.SequenceEqual(recorded.DecidingRules, StringComparer.Ordinal))
            {
                return;
            }

            _changed++;
            if (!_examples.TryGetValue(key, out var list))
            {
                _examples[key] = list = [];
            }

            if (list.Count < examplesPerTransition)
            {
                list.Add(new ReplayExample(id, $"/v1/decisions/{id}", createdAt, tenant, recorded.Subject, recorded.Outcome, after,
                    recorded.DecidingRules, afterRules, recorded.PolicyVersion));
            }
        }

        public ReplayReport Report(PolicySet candidate, ReplayRange range, string? activeVersion, DateTimeOffset? resumeFrom) => new()
        {
            CandidatePolicyVersion = candidate.Version,
            ActivePolicyVersion = activeVersion,
            From = range.From,
            To = range.To,
            TenantId = range.TenantId,
            Complete = resumeFrom is null,
            ResumeFrom = resumeFrom,
            Decisions = Decisions,
            Replayed = _replayed,
            Changed = _changed,
            Unchanged = _replayed - _changed,
            NotReplayable = Decisions - _replayed,
            NotReplayableReasons = _notReplayable.OrderByDescending(p => p.Value.Count).Select(p => new NotReplayableCount(p.Key, p.Value.Count, p.Value.Examples)).ToList(),
            Transitions = _transitions.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal)
                .Select(p => new TransitionCount(p.Key.Item1, p.Key.Item2, p.Value)).ToList(),
            ByRule = _rules.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new RuleCount(p.Key, p.Value.Before, p.Value.After)).ToList(),
            RecordedPolicyVersions = _versions.OrderByDescending(p => p.Value).Select(p => new VersionCount(p.Key, p.Value)).ToList(),
            Examples = _examples.OrderBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).SelectMany(p => p.Value).ToList(),
        };
    }
}
