using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// Deterministic made-up characters for scale tests and benchmarks: invented given/family names from syllables that
/// rarely form English words, titles and epithets, five names per entity ("Captain Zorvaketh", "Zorvaketh Mirdra",
/// "The Crimson Mirdra", "Zorvaketh-Quen", "Crimson Captain Mirdra").
/// </summary>
internal static class SyntheticCatalog
{
    private static readonly string[] Syllables =
    [
        "zor", "vak", "thel", "quen", "mir", "dra", "xil", "bor", "kael", "vyn", "tor", "ix", "sar", "neth", "ul",
        "ryn", "gal", "zeph", "ka", "lo", "mae", "dor", "fen", "ith", "wyr", "os", "tra", "qua", "vel", "jor",
    ];

    private static readonly string[] Titles = ["Captain", "Doctor", "Lady", "Lord", "Agent", "Professor", "Mister", "Queen", "Baron", "Sister"];

    private static readonly string[] Epithets = ["Crimson", "Silver", "Iron", "Shadow", "Golden", "Midnight", "Scarlet", "Emerald", "Frost", "Thunder"];

    internal static IReadOnlyList<NamedEntity> Generate(int count, int seed = 42)
    {
        var random = new Random(seed);
        var entities = new List<NamedEntity>(count);
        for (var i = 0; i < count; i++)
        {
            var given = Word(random);
            var family = Word(random);
            var title = Titles[random.Next(Titles.Length)];
            var epithet = Epithets[random.Next(Epithets.Length)];
            var guid = new Guid(i, 0, 0, new byte[8]);
            entities.Add(new NamedEntity(
                "character",
                guid,
                null,
                $"{title} {given}",
                [$"{given} {family}", $"The {epithet} {family}", $"{given}-{Word(random)}", $"{epithet} {title} {family}"],
                [$"{family} Industries"]));
        }

        return entities;
    }

    private static string Word(Random random)
    {
        var syllables = random.Next(3, 5);
        var word = string.Concat(Enumerable.Range(0, syllables).Select(_ => Syllables[random.Next(Syllables.Length)]));
        return char.ToUpperInvariant(word[0]) + word[1..];
    }
}
