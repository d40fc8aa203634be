using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>Names written in Cyrillic, Greek and kana: transliterated with ICU and script rules, or given as localised aliases.</summary>
public sealed class OtherScriptTests
{
    private static readonly NamedEntity Superman = TestCatalog.Entity("Superman", ["Clark Kent"], ["Daily Planet", "Krypton"]);
    private static readonly NamedEntity HarryPotter = TestCatalog.Entity("Harry Potter", [], ["Hogwarts"]);
    private static readonly NamedEntity NebulaKnight = TestCatalog.Entity("Nebula Knight", ["Рыцарь Туманности", "ネビュラ・ナイト"], ["Star Patrol"]);

    private static readonly NameMatcher Matcher = NameMatcher.Build([.. TestCatalog.All, Superman, HarryPotter, NebulaKnight]);

    private static NameMatch FindOne(string prompt, NamedEntity entity)
    {
        var screener = new CharacterTextScreener(null, null);
        var finding = Assert.Single(screener.Screen(prompt, Matcher, CharacterSemanticIndex.Empty), f => f.Entity == entity);
        return finding.Match!;
    }

    [Theory]
    [InlineData("Бэтмен стоит на крыше ночью", "Бэтмен")]
    [InlineData("огромный Супермен летит над городом", "Супермен")]
    [InlineData("Спайдермен и его паутина", "Спайдермен")]
    public void ACyrillicSpellingOfAnEnglishNameMatchesItsCanonicalAlias(string prompt, string written)
    {
        var entity = prompt.Contains("Бэтмен", StringComparison.Ordinal) ? TestCatalog.Batman
            : prompt.Contains("Супермен", StringComparison.Ordinal) ? Superman : TestCatalog.SpiderMan;
        var match = FindOne(prompt, entity);
        Assert.Equal(written, match.MatchedText);
        Assert.Equal(written, prompt.Substring(match.Start, match.Length));
    }

    [Theory]
    [InlineData("バットマンが夜の街を飛ぶ", "バットマン")]
    [InlineData("ｽｰﾊﾟｰﾏﾝ が空を飛ぶ", "ｽｰﾊﾟｰﾏﾝ")]
    [InlineData("スパイダーマンのポスター", "スパイダーマン")]
    [InlineData("ハリー・ポッターが魔法を使う", "ハリー・ポッター")]
    public void AKatakanaSpellingMatchesItsCanonicalAlias(string prompt, string written)
    {
        var entity = written switch
        {
            "バットマン" => TestCatalog.Batman,
            "ｽｰﾊﾟｰﾏﾝ" => Superman,
            "スパイダーマン" => TestCatalog.SpiderMan,
            _ => HarryPotter,
        };
        var match = FindOne(prompt, entity);
        Assert.Equal(written, match.MatchedText);
    }

    [Fact]
    public void AGreekSpellingMatchesItsCanonicalAlias()
    {
        var match = FindOne("ο Μπάτμαν πάνω από την πόλη", TestCatalog.Batman);
        Assert.Equal("Μπάτμαν", match.MatchedText);
    }

    [Fact]
    public void ALocalisedAliasMatchesExactlyInItsOwnScript()
    {
        var match = FindOne("Рыцарь Туманности скачет по звёздам", NebulaKnight);
        Assert.Equal(NameMatchKind.Exact, match.Kind);
        Assert.Equal(1.0, match.Confidence);
    }

    [Fact]
    public void AKatakanaLocalisedAliasMatchesWrittenInHiragana()
    {
        var match = FindOne("ねびゅら・ないと が星を駆ける", NebulaKnight);
        Assert.Equal("ねびゅら・ないと", match.MatchedText);
    }

    [Fact]
    public void ATransliteratedMatchScoresOneStepBelowTheSameMatchInLatin()
    {
        var latin = Assert.Single(Matcher.Find("Batman on a roof"));
        var cyrillic = FindOne("Бэтмен на крыше", TestCatalog.Batman);
        Assert.Equal(latin.Confidence - 0.05, cyrillic.Confidence, 6);
    }

    [Theory]
    [InlineData("Москва ночью, огни на реке")]
    [InlineData("東京の夜景、ネオンと雨")]
    [InlineData("Αθήνα το ηλιοβασίλεμα")]
    public void OrdinaryTextInOtherScriptsMatchesNothing(string prompt)
    {
        Assert.Empty(new CharacterTextScreener(null, null).Screen(prompt, Matcher, CharacterSemanticIndex.Empty));
    }

    [Theory]
    [InlineData("バットマン", ScriptTransliteration.Script.Kana, "batman")]
    [InlineData("スーパーマン", ScriptTransliteration.Script.Kana, "superman")]
    [InlineData("Бэтмен", ScriptTransliteration.Script.Cyrillic, "batman")]
    public void ScriptRulesUndoTheUsualSpellingOfEnglishNames(string run, ScriptTransliteration.Script script, string expected)
    {
        Assert.Equal(expected, ScriptTransliteration.Romanise(run, script).ToLowerInvariant());
    }
}
