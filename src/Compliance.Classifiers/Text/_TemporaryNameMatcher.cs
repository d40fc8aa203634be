// TEMPORARY: stands in for the real matcher being built on branch text-matcher; removed at merge.
namespace Compliance.Classifiers.Text;

public sealed class NameMatcher
{
    private readonly List<NamedEntity> _entities;

    private NameMatcher(List<NamedEntity> entities) => _entities = entities;

    public static NameMatcher Empty { get; } = new([]);

    public string Version => "temporary";

    public int EntityCount => _entities.Count;

    public int PatternCount => _entities.Count;

    public static NameMatcher Build(IEnumerable<NamedEntity> entities, NameMatcherOptions? options = null) => new(entities.ToList());

    public IReadOnlyList<NameMatch> Find(string text)
    {
        var list = new List<NameMatch>();
        foreach (var e in _entities)
        {
            foreach (var name in e.Aliases.Prepend(e.CanonicalName))
            {
                var i = text.IndexOf(name, StringComparison.OrdinalIgnoreCase);
                if (i >= 0)
                {
                    list.Add(new NameMatch(e, name, i, name.Length, text.Substring(i, name.Length), NameMatchKind.Exact, 0, 1.0));
                    break;
                }
            }
        }

        return list;
    }
}

public sealed record NameMatcherOptions;

public sealed record NameMatch(NamedEntity Entity, string Alias, int Start, int Length, string MatchedText, NameMatchKind Kind, int EditDistance, double Confidence);

public enum NameMatchKind
{
    Exact,
    Obfuscated,
    Fuzzy,
    Corroborated,
}
