using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// <see cref="NameMatcher.Find"/> on ordinary prompts that mention two catalog names (one plainly, one in leetspeak),
/// for catalogs of 1,000 and 100,000 synthetic entities with five names each. The baseline is a naive
/// case-insensitive <see cref="string.IndexOf(string, StringComparison)"/> of every name of the 1,000-entity catalog,
/// which finds only plain spellings.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PercentileConfig))]
public class TextMatcherBenchmarks
{
    private const string Filler =
        "a slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat " +
        "walks past a noodle stall while steam rises into the cold air, flash photography, shallow depth of field, 35mm film grain. ";

    private NameMatcher _matcher = NameMatcher.Empty;
    private string[] _naiveNames = [];
    private string _prompt = "";

    [Params(1_000, 100_000)]
    public int Entities { get; set; }

    [Params(100, 2_000)]
    public int PromptLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var entities = SyntheticCatalog.Generate(Entities);
        _matcher = NameMatcher.Build(entities);
        _naiveNames = [.. SyntheticCatalog.Generate(1_000).SelectMany(e => e.Aliases.Prepend(e.CanonicalName))];

        var plain = entities[Entities / 3].CanonicalName;
        var leet = entities[Entities / 2].Aliases[0].Replace('o', '0').Replace('a', '4');
        var head = $"{plain} meets {leet}: ";
        var body = head;
        while (body.Length < PromptLength)
        {
            body += Filler;
        }

        _prompt = body[..PromptLength];
        if (_matcher.Find(_prompt).Count == 0 && PromptLength >= head.Length)
        {
            throw new InvalidOperationException("The benchmark prompt should contain catalog names.");
        }
    }

    [Benchmark(Baseline = true, Description = "naive IndexOf, 1,000-entity names")]
    public int NaiveIndexOf()
    {
        var found = 0;
        foreach (var name in _naiveNames)
        {
            found += _prompt.Contains(name, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(Description = "NameMatcher.Find")]
    public int Find() => _matcher.Find(_prompt).Count;

    private sealed class PercentileConfig : ManualConfig
    {
        public PercentileConfig()
        {
            AddColumn(StatisticColumn.P95, StatisticColumn.Max);
        }
    }
}
