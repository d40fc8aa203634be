using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>A small catalog with the aliases that make name matching hard: common words, short names, phrases.</summary>
internal static class TestCatalog
{
    internal static readonly NamedEntity Batman = Entity("Batman", ["The Batman", "Dark Knight", "Bruce Wayne"], ["Gotham", "Batcave", "Alfred Pennyworth"]);
    internal static readonly NamedEntity SpiderMan = Entity("Spider-Man", ["Spiderman", "Peter Parker", "Spidey"], ["Daily Bugle", "Mary Jane Watson"]);
    internal static readonly NamedEntity Robin = Entity("Robin", ["Boy Wonder", "Dick Grayson"], ["Batman", "Gotham", "Batcave"]);
    internal static readonly NamedEntity Flash = Entity("The Flash", ["Flash", "Barry Allen", "Scarlet Speedster"], ["Speed Force", "Iris West"]);
    internal static readonly NamedEntity Storm = Entity("Storm", ["Ororo Munroe"], ["X-Men", "Professor Xavier"]);
    internal static readonly NamedEntity AntMan = Entity("Ant-Man", ["Ant", "Scott Lang"], ["Pym Particles", "Avengers"]);
    internal static readonly NamedEntity Vision = Entity("Vision", ["The Vision"], ["Avengers", "Mind Stone", "Wanda Maximoff"]);
    internal static readonly NamedEntity Joker = Entity("The Joker", ["Joker", "Clown Prince of Crime"], ["Gotham", "Batman", "Harley Quinn"]);
    internal static readonly NamedEntity Mario = Entity("Mario", ["Super Mario", "Mario Mario"], ["Nintendo", "Luigi", "Mushroom Kingdom"]);
    internal static readonly NamedEntity Pikachu = Entity("Pikachu", [], ["Pokémon", "Ash Ketchum"]);
    internal static readonly NamedEntity Deadpool = Entity("Deadpool", ["Wade Wilson"], ["X-Force"]);
    internal static readonly NamedEntity Catwoman = Entity("Catwoman", ["Selina Kyle"], ["Gotham"]);
    internal static readonly NamedEntity Hulk = Entity("The Incredible Hulk", ["Hulk", "Bruce Banner"], ["Avengers", "gamma radiation"]);
    internal static readonly NamedEntity WonderWoman = Entity("Wonder Woman", ["Diana Prince"], ["Themyscira", "Amazon warrior"]);
    internal static readonly NamedEntity Pokemon = Entity("Pokémon", ["Pocket Monsters"], ["Nintendo"]);
    internal static readonly NamedEntity Shrek = Entity("Shrek", [], ["Donkey", "Far Far Away", "Fiona"]);

    internal static IReadOnlyList<NamedEntity> All { get; } =
        [Batman, SpiderMan, Robin, Flash, Storm, AntMan, Vision, Joker, Mario, Pikachu, Deadpool, Catwoman, Hulk, WonderWoman, Pokemon, Shrek];

    internal static NameMatcher Matcher { get; } = NameMatcher.Build(All);

    internal static NamedEntity Entity(string canonical, IReadOnlyList<string> aliases, IReadOnlyList<string> context) =>
        new("character", DeterministicId(canonical), DeterministicId("owner"), canonical, aliases, context);

    private static Guid DeterministicId(string name)
    {
        var bytes = new byte[16];
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        hash.AsSpan(0, 16).CopyTo(bytes);
        return new Guid(bytes);
    }
}
