using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compliance.Classifiers.Text;

namespace Compliance.TextFusion;

internal enum Split
{
    Train,
    Validation,
    Test,

    /// <summary>ADR-046's fresh blind set (<c>prompts-adr046.tsv</c>): its own split, whatever the group; never trained on,
    /// never used to choose anything; reported once.</summary>
    Fresh,
}

/// <summary>One labelled prompt: the character it depicts (or null) and how it was made.</summary>
internal sealed record LabelledPrompt(string Group, string? Label, string Category, string Prompt, Split Split)
{
    /// <summary>
    /// A row of ADR-037's evaluation-only set (<c>prompts-adr037.tsv</c>) or a long variant made of it: never trained on,
    /// not covered by the data hash; the evaluation reports these and the original rows apart.
    /// </summary>
    public bool Added { get; init; }
}

/// <summary>A character of the data set as its rights holder would register it.</summary>
internal sealed record DataCharacter(
    string Key, string CanonicalName, string[] Aliases, string? Franchise, string[] ContextTerms, string Description, string[] ExamplePrompts)
{
    public NamedEntity ToEntity() => new(EntityTypes.Character, FusionDataSet.IdOf(Key), FusionDataSet.IdOf("rights-holder"), CanonicalName, Aliases,
        [.. ContextTerms.Concat(Franchise is null ? [] : [Franchise]).Distinct(StringComparer.OrdinalIgnoreCase)]);
}

/// <summary>
/// The text-fusion data set (data/text-fusion): characters, hand-written labelled prompts, evasions generated from the
/// name prompts by fixed transforms, the ordinary prompts of the matcher's false-positive corpus, and any extra
/// labelled files (auditor review outcomes). The split is fixed by a hash of each row's group: a character's prompts,
/// evasions and namesakes all land in one split, so the test split's characters were never trained on.
/// </summary>
internal sealed class FusionDataSet
{
    /// <summary>ADR-037's evaluation-only rows (data/text-fusion): split like prompts.tsv, never trained on, not hashed.</summary>
    public const string EvaluationOnlyFile = "prompts-adr037.tsv";

    /// <summary>ADR-046's fresh blind set (data/text-fusion): the <see cref="Split.Fresh"/> split, never trained on, not hashed.</summary>
    public const string FreshFile = "prompts-adr046.tsv";

    public required IReadOnlyList<DataCharacter> Characters { get; init; }

    public required IReadOnlyList<LabelledPrompt> Prompts { get; init; }

    /// <summary>SHA-256 over every training input file, in a fixed order: the model records it (not the ADR-037 set).</summary>
    public required string Sha256 { get; init; }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the repository (Compliance.sln not found above " + AppContext.BaseDirectory + ").");
    }

    public static FusionDataSet Load(string root, IReadOnlyList<string>? extraFiles = null)
    {
        var dataDir = Path.Combine(root, "data", "text-fusion");
        var files = new List<string>
        {
            Path.Combine(dataDir, "characters.json"),
            Path.Combine(dataDir, "prompts.tsv"),
            Path.Combine(root, "tests", "Compliance.Classifiers.Tests", "Data", "ordinary-prompts.txt"),
        };
        files.AddRange(extraFiles ?? []);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        var characters = JsonSerializer.Deserialize<DataCharacter[]>(File.ReadAllText(files[0]), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException("characters.json is empty.");
        var keys = characters.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var prompts = new List<LabelledPrompt>();
        foreach (var row in ReadTsv(files[1]).Concat(files.Skip(3).SelectMany(ReadTsv)))
        {
            if (row.Label is { } label && !keys.Contains(label))
            {
                throw new InvalidOperationException($"Unknown character '{label}' in a labelled prompt: {row.Prompt}");
            }

            prompts.Add(row);
            if (row.Category == "name")
            {
                var character = characters.Single(c => c.Key == row.Label);
                prompts.AddRange(Evasions(row, character));
            }
        }

        foreach (var line in File.ReadAllLines(files[2]).Where(l => l.Length > 0 && l[0] != '#'))
        {
            prompts.Add(new LabelledPrompt("-", null, "ordinary", line, SplitOf(line)));
        }

        // ADR-037's 120 descriptions and 26 lookalikes, written before any model scored them: evaluated, never trained on.
        foreach (var row in ReadTsv(Path.Combine(dataDir, EvaluationOnlyFile)))
        {
            if (row.Label is { } label && !keys.Contains(label))
            {
                throw new InvalidOperationException($"Unknown character '{label}' in a labelled prompt: {row.Prompt}");
            }

            prompts.Add(row with { Added = true });
        }

        // ADR-046's fresh blind set: written before anything scored it, its own split, so no rule can be chosen on it.
        foreach (var row in ReadTsv(Path.Combine(dataDir, FreshFile)))
        {
            if (row.Label is { } label && !keys.Contains(label))
            {
                throw new InvalidOperationException($"Unknown character '{label}' in a labelled prompt: {row.Prompt}");
            }

            prompts.Add(row with { Added = true, Split = Split.Fresh });
        }

        // Long prompts (~2,000 characters) made of these rows and ordinary prompts of their split: the path that ranks
        // windows before the transformer (ADR-023) is trained and measured on them.
        prompts.AddRange(LongPrompts.Variants(prompts));

        return new FusionDataSet { Characters = characters, Prompts = prompts, Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()) };
    }

    /// <summary>Rows of a labelled TSV: group, label (a character key or "none"), category, prompt. Extra files' rows train.</summary>
    private static IEnumerable<LabelledPrompt> ReadTsv(string path)
    {
        var extra = !path.EndsWith(Path.Combine("text-fusion", "prompts.tsv"), StringComparison.Ordinal)
            && !path.EndsWith(Path.Combine("text-fusion", EvaluationOnlyFile), StringComparison.Ordinal)
            && !path.EndsWith(Path.Combine("text-fusion", FreshFile), StringComparison.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split('\t');
            if (parts.Length != 4)
            {
                throw new InvalidOperationException($"{path}: expected 4 tab-separated columns: {line}");
            }

            var label = parts[1] == "none" ? null : parts[1];
            yield return new LabelledPrompt(parts[0], label, parts[2], parts[3], extra ? Split.Train : SplitOf(parts[0] == "-" ? parts[3] : parts[0]));
        }
    }

    /// <summary>60 / 20 / 20 by the first byte of SHA-256 of the group: fixed, and independent of row order.</summary>
    internal static Split SplitOf(string group)
    {
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(group))[0] % 10;
        return b < 6 ? Split.Train : b < 8 ? Split.Validation : Split.Test;
    }

    public static Guid IdOf(string key) => new(SHA256.HashData(Encoding.UTF8.GetBytes("text-fusion:" + key)).AsSpan(0, 16));

    /// <summary>The same prompt with the name disguised the ways evaders do, one technique (or a mix) per variant.</summary>
    private static IEnumerable<LabelledPrompt> Evasions(LabelledPrompt row, DataCharacter character)
    {
        var name = character.Aliases.Prepend(character.CanonicalName).OrderByDescending(n => n.Length)
            .FirstOrDefault(n => row.Prompt.Contains(n, StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            yield break;
        }

        var at = row.Prompt.IndexOf(name, StringComparison.OrdinalIgnoreCase);
        var original = row.Prompt.Substring(at, name.Length);
        string With(string disguised) => row.Prompt[..at] + disguised + row.Prompt[(at + name.Length)..];
        LabelledPrompt Variant(string technique, string disguised) => row with { Category = "evasion:" + technique, Prompt = With(disguised) };

        yield return Variant("leet", Map(original, c => char.ToLowerInvariant(c) switch { 'a' => '4', 'e' => '3', 'o' => '0', 'i' => '1', 's' => '5', _ => c }));
        yield return Variant("spaced", string.Join(' ', original.Where(c => !char.IsWhiteSpace(c))));
        yield return Variant("homoglyph", Map(original, c => c switch { 'a' => 'а', 'o' => 'о', 'e' => 'е', 'p' => 'р', 'c' => 'с', _ => c }));
        yield return Variant("mixed", string.Join('.', Map(original, c => c switch { 'a' => '@', 'o' => '0', _ => c }).Where(c => !char.IsWhiteSpace(c))));
        var letters = original.Count(char.IsLetter);
        if (letters >= 7)
        {
            // Drop a letter in the middle of the last word, and swap two in the first.
            var drop = original.LastIndexOf(' ') is var space && space > 0 ? space + 2 : original.Length / 2;
            yield return Variant("typo", original.Remove(Math.Min(drop, original.Length - 2), 1));
            var swap = Math.Min(2, original.Length - 3);
            yield return Variant("transposed", original[..swap] + original[swap + 1] + original[swap] + original[(swap + 2)..]);
        }

        if (letters >= 12)
        {
            var a = original.Length / 3;
            var b = 2 * original.Length / 3;
            yield return Variant("two-edits", original.Remove(b, 1).Remove(a, 1));
        }
    }

    private static string Map(string s, Func<char, char> f) => new([.. s.Select(f)]);
}
