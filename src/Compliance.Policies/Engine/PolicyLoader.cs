using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Compliance.Policies.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Compliance.Policies.Engine;

/// <summary>A problem in a policy file, located precisely enough to fix it without guessing.</summary>
public sealed record PolicyLoadError(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}

/// <summary>Either a valid policy set or every error found (never half of a set).</summary>
public sealed record PolicyLoadResult(PolicySet? Set, IReadOnlyList<PolicyLoadError> Errors)
{
    public bool Succeeded => Set is not null;
}

/// <summary>
/// Loads <c>*.policy.yaml</c> files into a <see cref="PolicySet"/>. All files are parsed and validated
/// together and all errors are reported at once, each naming file and line.
/// </summary>
public static class PolicyLoader
{
    public const string PolicyFilePattern = "*.policy.yaml";

    public static PolicyLoadResult LoadDirectory(string directory, TimeProvider? clock = null)
    {
        if (!Directory.Exists(directory))
        {
            return new PolicyLoadResult(null, [new PolicyLoadError(directory, 0, "Policy directory does not exist.")]);
        }

        var files = Directory.GetFiles(directory, PolicyFilePattern)
            .Order(StringComparer.Ordinal)
            .Select(path => new PolicySource(Path.GetFileName(path), File.ReadAllText(path)))
            .ToList();
        return Load(files, clock);
    }

    public static PolicyLoadResult Load(IReadOnlyList<PolicySource> sources, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var errors = new List<PolicyLoadError>();
        if (sources.Count == 0)
        {
            errors.Add(new PolicyLoadError("(policies)", 0, $"No policy files ({PolicyFilePattern}) found."));
            return new PolicyLoadResult(null, errors);
        }

        var rules = new List<PolicyRule>();
        PolicyDefaults? defaults = null;
        string? defaultsFile = null;
        foreach (var source in sources.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var reader = new PolicyFileReader(source.Name, errors);
            var file = reader.Read(source.Content);
            if (file is null)
            {
                continue;
            }

            rules.AddRange(file.Rules);
            if (file.Defaults is not null)
            {
                if (defaultsFile is not null)
                {
                    errors.Add(new PolicyLoadError(source.Name, file.DefaultsLine, $"defaults are already declared in {defaultsFile}; declare them in one file only."));
                }

                defaults = file.Defaults;
                defaultsFile = source.Name;
            }
        }

        foreach (var duplicate in rules.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var first = duplicate.First();
            foreach (var again in duplicate.Skip(1))
            {
                errors.Add(new PolicyLoadError(again.File, again.Line, $"rule id '{again.Id}' is already used at {first.File}:{first.Line}."));
            }
        }

        if (errors.Count > 0)
        {
            return new PolicyLoadResult(null, errors);
        }

        var set = new PolicySet(
            ComputeVersion(sources),
            rules,
            defaults ?? PolicyDefaults.BuiltIn,
            sources.Select(s => s.Name).Order(StringComparer.Ordinal).ToList(),
            (clock ?? TimeProvider.System).GetUtcNow());
        return new PolicyLoadResult(set, []);
    }

    /// <summary>SHA-256 over each file's name and bytes in name order: the policy version every decision records.</summary>
    public static string ComputeVersion(IReadOnlyList<PolicySource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var s in sources.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(s.Name));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(s.Content));
            hash.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Remembers where the last parsed event ended, to locate errors the parser reports without a position.</summary>
internal sealed class TrackingParser(IParser inner) : IParser
{
    public Mark LastMark { get; private set; } = Mark.Empty;

    public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        var moved = inner.MoveNext();
        if (inner.Current is { } current)
        {
            LastMark = current.End;
        }

        return moved;
    }
}

/// <summary>A policy file's name and text.</summary>
public sealed record PolicySource(string Name, string Content);

/// <summary>Walks the YAML node tree by hand so every error carries the line it came from.</summary>
internal sealed class PolicyFileReader(string file, List<PolicyLoadError> errors)
{
    private static readonly string[] FileKeys = ["policy", "description", "defaults", "rules"];
    private static readonly string[] RuleKeys = ["id", "description", "when", "outcome", "reason", "obligations"];
    private static readonly string[] WhenKeys =
    [
        "signal", "subject", "entity_type", "classifier", "grant", "score_below", "score_at_least",
        "distance_at_most", "distance_above", "similarity_at_least", "similarity_below", "match_kind",
    ];
    private static readonly string[] DefaultKeys = ["no_signals", "unmatched_signal"];
    private static readonly string[] DefaultRuleKeys = ["outcome", "reason"];

    internal sealed record ParsedFile(IReadOnlyList<PolicyRule> Rules, PolicyDefaults? Defaults, int DefaultsLine);

    public ParsedFile? Read(string content)
    {
        var before = errors.Count;
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(content)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            Error(ex.Start, $"not valid YAML: {ex.InnerException?.Message ?? ex.Message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some malformed input, e.g. an
            // unclosed flow mapping; the problem lies after the last event it parsed.
            Error(parser.LastMark, "not valid YAML: the parser stopped after this line (unclosed bracket or quote?).");
            return null;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new PolicyLoadError(file, 1, "a policy file must be one YAML mapping with 'policy' and 'rules'."));
            return null;
        }

        CheckKeys(root, FileKeys, "policy file");
        var policyName = RequiredString(root, "policy", root) ?? "(unnamed)";
        if (!IsIdentifier(policyName))
        {
            Error(root.Start, $"policy name '{policyName}' must be lower-case letters, digits, '.', '_' or '-'.");
        }

        var rules = new List<PolicyRule>();
        if (Child(root, "rules") is { } rulesNode)
        {
            if (rulesNode is YamlSequenceNode seq)
            {
                foreach (var item in seq)
                {
                    if (item is YamlMappingNode ruleNode)
                    {
                        if (ReadRule(ruleNode, policyName) is { } rule)
                        {
                            rules.Add(rule);
                        }
                    }
                    else
                    {
                        Error(item.Start, "each rule must be a mapping with id, when, outcome and reason.");
                    }
                }
            }
            else
            {
                Error(rulesNode.Start, "'rules' must be a list.");
            }
        }
        else
        {
            Error(root.Start, "missing 'rules'.");
        }

        PolicyDefaults? defaults = null;
        var defaultsLine = 0;
        if (Child(root, "defaults") is { } defaultsNode)
        {
            defaultsLine = Line(defaultsNode.Start);
            defaults = ReadDefaults(defaultsNode);
        }

        return errors.Count == before ? new ParsedFile(rules, defaults, defaultsLine) : null;
    }

    private PolicyRule? ReadRule(YamlMappingNode node, string policy)
    {
        var before = errors.Count;
        CheckKeys(node, RuleKeys, "rule");
        var id = RequiredString(node, "id", node);
        if (id is not null && !IsIdentifier(id))
        {
            Error(Child(node, "id")!.Start, $"rule id '{id}' must be lower-case letters, digits, '.', '_' or '-'.");
        }

        var outcome = ReadOutcome(node);
        var reason = RequiredString(node, "reason", node);
        var obligations = StringList(Child(node, "obligations"), "obligations");
        foreach (var (value, mark) in obligations)
        {
            if (!ObligationTypes.All.Contains(value))
            {
                Error(mark, $"unknown obligation '{value}'; known: {string.Join(", ", ObligationTypes.All)}.");
            }
        }

        if (obligations.Count > 0 && outcome is not null and not Outcome.Allow)
        {
            Error(Child(node, "obligations")!.Start, "obligations only apply to rules whose outcome is allow.");
        }

        RuleCondition? when = null;
        if (Child(node, "when") is YamlMappingNode whenNode)
        {
            when = ReadCondition(whenNode);
            // Fail closed is not a policy choice: no rule may turn a classifier failure or an unscreened span into allow.
            if (outcome == Outcome.Allow && when is not null &&
                (when.Signals.Count == 0 || when.Signals.Any(SignalKinds.FailClosed.Contains)))
            {
                Error(whenNode.Start,
                    $"a rule with outcome allow must name its signal kinds and may not match {string.Join(" or ", SignalKinds.FailClosed.Order(StringComparer.Ordinal).Select(k => $"'{k}'"))} (fail closed).");
            }
        }
        else
        {
            Error(node.Start, "missing 'when' mapping (conditions on signal, subject, entity_type, grant, score_below, score_at_least).");
        }

        if (errors.Count != before || id is null || outcome is null || reason is null || when is null)
        {
            return null;
        }

        return new PolicyRule(id, policy, file, Line(node.Start), when, outcome.Value, reason, obligations.Select(o => o.Value).ToList());
    }

    private RuleCondition? ReadCondition(YamlMappingNode node)
    {
        CheckKeys(node, WhenKeys, "'when'");
        var signals = StringList(Child(node, "signal"), "signal").Select(s => s.Value).ToList();
        var subjects = StringList(Child(node, "subject"), "subject").Select(s => s.Value).ToList();
        var entityTypes = StringList(Child(node, "entity_type"), "entity_type").Select(s => s.Value).ToList();
        var grants = new List<GrantState>();
        foreach (var (value, mark) in StringList(Child(node, "grant"), "grant"))
        {
            if (GrantStates.TryParse(value, out var state))
            {
                grants.Add(state);
            }
            else
            {
                Error(mark, $"unknown grant state '{value}'; known: {string.Join(", ", GrantStates.Names)}.");
            }
        }

        var below = Score(node, "score_below");
        var atLeast = Score(node, "score_at_least");
        if (below is not null && atLeast is not null && atLeast >= below)
        {
            Error(node.Start, $"score_at_least ({atLeast}) must be less than score_below ({below}); the rule could never match.");
        }

        var distanceAtMost = Distance(node, "distance_at_most");
        var distanceAbove = Distance(node, "distance_above");
        if (distanceAtMost is not null && distanceAbove is not null && distanceAbove >= distanceAtMost)
        {
            Error(node.Start, $"distance_above ({distanceAbove}) must be less than distance_at_most ({distanceAtMost}); the rule could never match.");
        }

        var similarityAtLeast = Score(node, "similarity_at_least");
        var similarityBelow = Score(node, "similarity_below");
        if (similarityAtLeast is not null && similarityBelow is not null && similarityAtLeast >= similarityBelow)
        {
            Error(node.Start, $"similarity_at_least ({similarityAtLeast}) must be less than similarity_below ({similarityBelow}); the rule could never match.");
        }

        return new RuleCondition(signals, subjects, entityTypes, grants, below, atLeast)
        {
            Classifiers = StringList(Child(node, "classifier"), "classifier").Select(s => s.Value).ToList(),
            DistanceAtMost = distanceAtMost,
            DistanceAbove = distanceAbove,
            SimilarityAtLeast = similarityAtLeast,
            SimilarityBelow = similarityBelow,
            MatchKinds = StringList(Child(node, "match_kind"), "match_kind").Select(s => s.Value).ToList(),
        };
    }

    private PolicyDefaults? ReadDefaults(YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node.Start, "'defaults' must be a mapping with no_signals and unmatched_signal.");
            return null;
        }

        CheckKeys(map, DefaultKeys, "'defaults'");
        var noSignals = ReadDefault(map, "no_signals", PolicyDefaults.BuiltIn.NoSignals);
        var unmatched = ReadDefault(map, "unmatched_signal", PolicyDefaults.BuiltIn.UnmatchedSignal);
        if (unmatched?.Outcome == Outcome.Allow)
        {
            Error(Child(map, "unmatched_signal")!.Start, "unmatched_signal may not be allow: a signal no rule understands must fail closed.");
        }

        return noSignals is null || unmatched is null ? null : new PolicyDefaults(noSignals, unmatched);
    }

    private DefaultRule? ReadDefault(YamlMappingNode map, string key, DefaultRule builtIn)
    {
        if (Child(map, key) is not { } node)
        {
            return builtIn;
        }

        if (node is not YamlMappingNode m)
        {
            Error(node.Start, $"'{key}' must be a mapping with outcome and reason.");
            return null;
        }

        CheckKeys(m, DefaultRuleKeys, $"'{key}'");
        var outcome = ReadOutcome(m);
        var reason = RequiredString(m, "reason", m);
        return outcome is null || reason is null ? null : new DefaultRule(builtIn.Id, outcome.Value, reason);
    }

    private Outcome? ReadOutcome(YamlMappingNode node)
    {
        var text = RequiredString(node, "outcome", node);
        switch (text)
        {
            case null:
                return null;
            case "allow":
                return Outcome.Allow;
            case "review":
                return Outcome.Review;
            case "block":
                return Outcome.Block;
            default:
                Error(Child(node, "outcome")!.Start, $"outcome '{text}' must be allow, review or block.");
                return null;
        }
    }

    private double? Score(YamlMappingNode node, string key)
    {
        if (Child(node, key) is not { } child)
        {
            return null;
        }

        // Rules compare in whole basis points (ScoreBasisPoints), so a threshold with a fifth decimal would be rounded
        // silently: refuse it instead.
        if (child is YamlScalarNode { Value: { } v } &&
            decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1)
        {
            if (decimal.Round(d, 4) != d)
            {
                Error(child.Start, $"{key} may have at most four decimals (scores are compared in basis points).");
                return null;
            }

            return (double)d;
        }

        Error(child.Start, $"{key} must be a number between 0 and 1.");
        return null;
    }

    private int? Distance(YamlMappingNode node, string key)
    {
        if (Child(node, key) is not { } child)
        {
            return null;
        }

        if (child is YamlScalarNode { Value: { } v } &&
            int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 256)
        {
            return d;
        }

        Error(child.Start, $"{key} must be a whole number between 0 and 256 (bits of a 256-bit hash).");
        return null;
    }

    private List<(string Value, Mark Mark)> StringList(YamlNode? node, string key)
    {
        var list = new List<(string, Mark)>();
        switch (node)
        {
            case null:
                break;
            case YamlScalarNode { Value: { Length: > 0 } v }:
                list.Add((v, node.Start));
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq)
                {
                    if (item is YamlScalarNode { Value: { Length: > 0 } iv })
                    {
                        list.Add((iv, item.Start));
                    }
                    else
                    {
                        Error(item.Start, $"'{key}' entries must be non-empty strings.");
                    }
                }

                break;
            default:
                Error(node.Start, $"'{key}' must be a string or a list of strings.");
                break;
        }

        return list;
    }

    private string? RequiredString(YamlMappingNode node, string key, YamlNode owner)
    {
        switch (Child(node, key))
        {
            case null:
                Error(owner.Start, $"missing '{key}'.");
                return null;
            case YamlScalarNode { Value: { } v } when !string.IsNullOrWhiteSpace(v):
                return v;
            case var other:
                Error(other.Start, $"'{key}' must be a non-empty string.");
                return null;
        }
    }

    private void CheckKeys(YamlMappingNode node, string[] allowed, string what)
    {
        foreach (var key in node.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Error(key.Start, $"unknown key '{name}' in {what}; allowed: {string.Join(", ", allowed)}.");
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 100 && char.IsAsciiLetterLower(s[0]) || (s.Length > 0 && char.IsAsciiDigit(s[0]))
            ? s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-')
            : false;

    private static int Line(Mark mark) => (int)mark.Line;

    private void Error(Mark mark, string message) => errors.Add(new PolicyLoadError(file, Line(mark), message));
}
