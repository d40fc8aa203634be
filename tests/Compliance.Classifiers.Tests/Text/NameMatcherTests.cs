using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

public sealed class NameMatcherTests
{
    private static readonly NameMatcher Matcher = TestCatalog.Matcher;

    private static IReadOnlyList<NameMatch> MatchesOf(NamedEntity entity, string text) =>
        [.. Matcher.Find(text).Where(m => m.Entity == entity)];

    private static NameMatch Single(NamedEntity entity, string text)
    {
        var matches = MatchesOf(entity, text);
        Assert.True(matches.Count == 1, $"expected one match of {entity.CanonicalName} in \"{text}\", got {matches.Count}");
        return matches[0];
    }

    [Fact]
    public void FindsCanonicalNameAndEachAlias()
    {
        var text = "Batman and Bruce Wayne are the same person; so are Spider-Man and Peter Parker.";

        var matches = Matcher.Find(text);

        Assert.Equal(
            [("Batman", "Batman"), ("Bruce Wayne", "Bruce Wayne"), ("Spider-Man", "Spider-Man"), ("Peter Parker", "Peter Parker")],
            matches.Select(m => (m.Alias, m.MatchedText)));
        Assert.All(matches, m => Assert.Equal(NameMatchKind.Exact, m.Kind));
        Assert.All(matches, m => Assert.Equal(1.0, m.Confidence));
    }

    [Theory]
    [InlineData("Batman")]
    [InlineData("🦇🦇 a B\u0301atman poster")]
    [InlineData("x\u200B Ｂａｔｍａｎ!")]
    [InlineData("𝐁𝐚𝐭𝐦𝐚𝐧 at dawn")]
    [InlineData("— B.a.t.m.a.n —")]
    [InlineData("the Batman\u200B's cape")]
    public void SpanPointsAtOriginalText(string text)
    {
        var match = Single(TestCatalog.Batman, text);

        Assert.Equal(match.MatchedText, text.Substring(match.Start, match.Length));
        Assert.StartsWith(text[match.Start].ToString(), match.MatchedText, StringComparison.Ordinal);
        Assert.True(match.MatchedText.Length >= 6);
    }

    [Theory]
    [InlineData("BATMAN returns", "BATMAN")]
    [InlineData("batman returns", "batman")]
    [InlineData("Bátmân returns", "Bátmân")]
    public void CaseAndDiacriticsAreFolded(string text, string expected)
    {
        Assert.Equal(expected, Single(TestCatalog.Batman, text).MatchedText);
    }

    [Fact]
    public void AliasWithDiacriticsMatchesPlainSpelling()
    {
        Assert.Equal("Pokemon", Single(TestCatalog.Pokemon, "a Pokemon battle in the park").MatchedText);
    }

    [Theory]
    [InlineData("\u0412\u0430tm\u0430n")] // Cyrillic В, а
    [InlineData("B\u0430tm\u0430n")] // Cyrillic а
    [InlineData("\u0392\u03b1tm\u03b1n")] // Greek Β, α
    [InlineData("Ｂａｔｍａｎ")] // full-width
    [InlineData("𝐁𝐚𝐭𝐦𝐚𝐧")] // mathematical bold
    [InlineData("ⓑⓐⓣⓜⓐⓝ")] // circled
    [InlineData("\u0455\u0440\u0456d\u0435r\u043c\u0430n")] // Cyrillic ѕ р і е м а
    [InlineData("\u0440\u0456\u043a\u0430\u0441hu")] // Cyrillic р і к а с
    public void HomoglyphSpellingStillMatches(string name)
    {
        var matches = Matcher.Find($"a poster of {name} in the rain");

        var match = Assert.Single(matches);
        Assert.Equal(name, match.MatchedText);
        Assert.Equal(NameMatchKind.Obfuscated, match.Kind);
        Assert.Equal(0.95, match.Confidence);
    }

    [Theory]
    [InlineData("B4tm4n")]
    [InlineData("B@tm@n")]
    [InlineData("$p1d3rm4n")]
    [InlineData("5p!d3r-m@n")]
    [InlineData("Sp|derman")]
    [InlineData("P1k4chu")]
    [InlineData("D3adp00l")]
    public void LeetspeakStillMatches(string name)
    {
        var match = Assert.Single(Matcher.Find($"draw {name} please"));

        Assert.Equal(name, match.MatchedText);
        Assert.Equal(NameMatchKind.Obfuscated, match.Kind);
    }

    [Theory]
    [InlineData("S.p.i.d.e.r-M.a.n")]
    [InlineData("s p i d e r m a n")]
    [InlineData("spider\u200Bman")]
    [InlineData("spider\u00ADman")]
    [InlineData("spider_man")]
    [InlineData("s-p-i-d-e-r-m-a-n")]
    public void SeparatorsAndZeroWidthCharactersInsideNamesStillMatch(string name)
    {
        var match = Single(TestCatalog.SpiderMan, $"a comic where {name} swings");

        Assert.Equal(name, match.MatchedText);
        Assert.Equal(NameMatchKind.Obfuscated, match.Kind);
    }

    [Theory]
    [InlineData("Spider Man")]
    [InlineData("spiderman")]
    [InlineData("SPIDER-MAN")]
    public void PlainVariantsOfTheAliasAreExact(string name)
    {
        Assert.Equal(NameMatchKind.Exact, Single(TestCatalog.SpiderMan, $"{name} swings").Kind);
    }

    [Theory]
    [InlineData("Baaatmaaan")]
    [InlineData("Batmannnn")]
    [InlineData("BBBatman")]
    public void RepeatedLettersStillMatch(string name)
    {
        var match = Single(TestCatalog.Batman, $"{name} on a rooftop");

        Assert.Equal(name, match.MatchedText);
        Assert.Equal(NameMatchKind.Obfuscated, match.Kind);
    }

    [Theory]
    [InlineData("Spidermn", 1)] // deletion
    [InlineData("Spidxerman", 1)] // insertion
    [InlineData("Spoderman", 1)] // substitution
    [InlineData("Sipderman", 1)] // adjacent transposition
    [InlineData("Pikacho", 1)]
    [InlineData("Bruce Wayn", 1)]
    [InlineData("Petr Parker", 1)]
    public void NearMissOfLongNameMatchesFuzzily(string text, int distance)
    {
        var match = Assert.Single(Matcher.Find($"{text} in a city at night"));

        Assert.Equal(text, match.MatchedText);
        Assert.Equal(NameMatchKind.Fuzzy, match.Kind);
        Assert.Equal(distance, match.EditDistance);
        Assert.InRange(match.Confidence, 0.75, 0.85);
    }

    [Theory]
    [InlineData("Shred the cheese")] // Shrek, 5 letters
    [InlineData("Mari went home")] // Mario, 5 letters
    [InlineData("a Batmen costume")] // Batman, 6 letters
    public void ShortNamesDoNotMatchFuzzily(string text)
    {
        Assert.Empty(Matcher.Find(text));
    }

    [Fact]
    public void FuzzyCandidateThatIsADictionaryWordIsRejected()
    {
        var magneto = TestCatalog.Entity("Magneto", ["Erik Lehnsherr"], ["X-Men"]);
        var matcher = NameMatcher.Build([magneto]);

        Assert.Empty(matcher.Find("a magnet holds a note on the fridge"));
        Assert.Single(matcher.Find("Magnetto lifts a bridge"));
    }

    [Theory]
    [InlineData("a combatmanoeuvre in the desert")]
    [InlineData("a marionette on strings")]
    [InlineData("batmanesque architecture")]
    [InlineData("superbatman")]
    [InlineData("a shreked paper")]
    public void AliasInsideLongerWordDoesNotMatch(string text)
    {
        Assert.Empty(Matcher.Find(text));
    }

    [Theory]
    [InlineData("a dead pool of rainwater under the bridge")]
    [InlineData("an old cat woman feeding strays at the market")]
    [InlineData("the combat manoeuvre")]
    public void OrdinaryWordsDoNotJoinIntoAName(string text)
    {
        Assert.Empty(Matcher.Find(text));
    }

    [Theory]
    [InlineData("flash photography of a wedding")]
    [InlineData("a robin in a tree")]
    [InlineData("storm over the sea")]
    [InlineData("a joker card on a poker table")]
    [InlineData("a vision of the future city")]
    [InlineData("the rusting hulk of a ship")]
    public void CommonWordAliasNeedsCorroboration(string text)
    {
        Assert.Empty(Matcher.Find(text));
    }

    [Fact]
    public void CorroboratedCommonWordAliasFires()
    {
        var matches = Matcher.Find("Robin fights crime beside Batman in Gotham");

        var robin = Assert.Single(matches, m => m.Entity == TestCatalog.Robin);
        Assert.Equal(NameMatchKind.Corroborated, robin.Kind);
        Assert.Equal(0.7, robin.Confidence);
        Assert.Equal((0, "Robin"), (robin.Start, robin.MatchedText));
        Assert.Equal(NameMatchKind.Exact, Assert.Single(matches, m => m.Entity == TestCatalog.Batman).Kind);
    }

    [Theory]
    [InlineData("Storm summons lightning to help the X-Men", "Storm")]
    [InlineData("Flash outruns Barry Allen's shadow", "Flash")]
    [InlineData("an ant rides the Pym Particles wave", "ant")]
    [InlineData("Vision guards the Mind Stone", "Vision")]
    [InlineData("Joker laughs at Harley Quinn", "Joker")]
    public void ContextTermOrOtherNameCorroboratesAmbiguousAlias(string text, string expected)
    {
        Assert.Contains(Matcher.Find(text), m => m.MatchedText == expected && m.Kind == NameMatchKind.Corroborated);
    }

    [Fact]
    public void CommonWordPhraseFiresOnlyWhenWrittenAsAName()
    {
        Assert.Empty(Matcher.Find("a dark knight rides through the misty forest"));
        Assert.Empty(Matcher.Find("the flash of lightning lit the field"));

        Assert.Equal("Dark Knight", Single(TestCatalog.Batman, "The Dark Knight watches the city").MatchedText);
        Assert.Equal(NameMatchKind.Exact, Single(TestCatalog.Flash, "The Flash races a train").Kind);
    }

    [Fact]
    public void OverlappingMatchesOfOneEntityCollapseToTheBest()
    {
        // "Spider-Man" and "Spiderman" have one skeleton; "The Batman" and "Batman" overlap.
        Assert.Single(MatchesOf(TestCatalog.SpiderMan, "Spider-Man swings"));
        var batman = Single(TestCatalog.Batman, "The Batman waits");
        Assert.Equal("The Batman", batman.MatchedText);
    }

    [Fact]
    public void OverlappingAliasesOfDifferentEntitiesAreBothReported()
    {
        var captain = TestCatalog.Entity("Captain Marvelous", [], []);
        var boy = TestCatalog.Entity("Marvelous Boy", [], []);
        var matcher = NameMatcher.Build([captain, boy]);

        var matches = matcher.Find("Captain Marvelous Boy arrives");

        Assert.Equal(["Captain Marvelous", "Marvelous Boy"], matches.Select(m => m.MatchedText));
    }

    [Fact]
    public void EachEntityIsReportedOncePerSpanAndAgainElsewhere()
    {
        var matches = MatchesOf(TestCatalog.Batman, "Batman meets Batman");

        Assert.Equal([0, 13], matches.Select(m => m.Start));
    }

    [Fact]
    public void VersionIsStableForTheSameInputAndChangesWithIt()
    {
        var again = NameMatcher.Build(TestCatalog.All.Reverse());
        var fewer = NameMatcher.Build(TestCatalog.All.Skip(1));
        var stricter = NameMatcher.Build(TestCatalog.All, new NameMatcherOptions { MaxFuzzyDistance = 0 });

        Assert.Equal(TestCatalog.Matcher.Version, again.Version);
        Assert.NotEqual(TestCatalog.Matcher.Version, fewer.Version);
        Assert.NotEqual(TestCatalog.Matcher.Version, stricter.Version);
        Assert.Equal(12, TestCatalog.Matcher.Version.Length);
    }

    [Fact]
    public void EmptyMatcherFindsNothing()
    {
        Assert.Empty(NameMatcher.Empty.Find("Batman and Robin"));
        Assert.Equal(0, NameMatcher.Empty.EntityCount);
        Assert.Equal(0, NameMatcher.Empty.PatternCount);
    }

    [Fact]
    public void FuzzyMatchingCanBeTurnedOff()
    {
        var matcher = NameMatcher.Build(TestCatalog.All, new NameMatcherOptions { MaxFuzzyDistance = 0 });

        Assert.Empty(matcher.Find("Spoderman swings"));
        Assert.Single(matcher.Find("Spiderman swings"));
    }

    [Fact]
    public void FindIsSafeToCallConcurrently()
    {
        var texts = new[] { "B4tm4n and Robin in Gotham", "S.p.i.d.e.r-M.a.n", "Spoderman", "a robin in a tree" };
        var expected = texts.Select(t => Matcher.Find(t).Count).ToArray();

        Parallel.For(0, 2000, i => Assert.Equal(expected[i % texts.Length], Matcher.Find(texts[i % texts.Length]).Count));
    }

    [Fact]
    public void NamesInOtherScriptsMatch()
    {
        var pikachu = TestCatalog.Entity("ピカチュウ", ["Пикачу"], []);
        var matcher = NameMatcher.Build([pikachu]);

        Assert.Equal(["ピカチュウ", "ПИКАЧУ"], matcher.Find("ピカチュウ と ПИКАЧУ").Select(m => m.MatchedText));
    }

    [Fact]
    public void VeryLongNamesAndPromptsAreHandled()
    {
        var longName = string.Join(' ', Enumerable.Repeat("Zorblax", 60));
        var entity = TestCatalog.Entity(longName, [], []);
        var matcher = NameMatcher.Build([.. TestCatalog.All, entity]);
        var prompt = string.Concat(Enumerable.Repeat("a storm over the sea, ", 5_000)) + longName + " and Batman";

        var matches = matcher.Find(prompt);

        Assert.Equal([longName, "Batman"], matches.Select(m => m.MatchedText));
    }

    [Fact]
    public void ALabelOnlyCanonicalNameIsNotMatchedButStillNamesTheEntity()
    {
        var labelled = TestCatalog.Entity("Marlow Quince", ["Quincey Junior"], []) with { MatchCanonicalName = false };
        var matcher = NameMatcher.Build([labelled]);

        Assert.Empty(matcher.Find("Marlow Quince waves"));
        var match = Assert.Single(matcher.Find("Quincey Junior waves"));
        Assert.Equal("Marlow Quince", match.Entity.CanonicalName);
        Assert.NotEqual(NameMatcher.Build([labelled with { MatchCanonicalName = true }]).Version, matcher.Version);
    }

    [Fact]
    public void SameSkeletonStringMeansSamePattern()
    {
        // The service owns names by this string; it must equal the matcher's reading of the name.
        var comet = TestCatalog.Entity("Captain Comet", [], []);
        var matcher = NameMatcher.Build([comet]);
        foreach (var spelling in new[] { "CAPTAIN-COMET", "C\u0430pt\u0430in C0met", "Captain\u200BComet", "C.a.p.t.a.i.n Comet" })
        {
            Assert.Equal(TextNormalizer.ToSkeletonString("Captain Comet"), TextNormalizer.ToSkeletonString(spelling));
            Assert.Single(matcher.Find(spelling));
        }

        Assert.NotEqual(TextNormalizer.ToSkeletonString("Captain Comet"), TextNormalizer.ToSkeletonString("Captain Comets"));
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NameMatcher.Build([], new NameMatcherOptions { MaxFuzzyDistance = 3 }));
    }
}
