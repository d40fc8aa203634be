using System.Collections.Concurrent;
using System.Text;
using Icu;

namespace Compliance.Classifiers.Text;

/// <summary>
/// Finds names written in another script: the prompt's runs of Cyrillic, Greek, kana and other non-Latin letters are
/// transliterated to Latin with ICU (icu.net over the system's libicu), rewritten by a few script-specific rules that
/// undo how English names are usually spelt in that script, and matched against the same catalog; every match is
/// mapped back to the original run(s) of the prompt. Names the rights holder gave in that script (localised aliases)
/// match directly, without this step.
/// </summary>
/// <remarks>
/// Rules (docs/text-matcher.md, "Other scripts"): kana: a long vowel at the end of an English syllable was "er"
/// (スーパー sūpā → super), a long ī at a word's end was "y" (ハリー → harry), epenthetic vowels after consonants
/// go (バットマン battoman → batman, スパイダー → spider), "ai" before a consonant was "i", キャ kya was "ca".
/// Cyrillic: э was an English "a" (Бэтмен), a final "-мен" was "-man", ай before a consonant was "i". Greek: μπ was
/// "b", ντ "d", ου "u".
/// </remarks>
public static class ScriptTransliteration
{
    private static readonly Lazy<bool> Initialised = new(() =>
    {
        Wrapper.Init();
        return true;
    });

    private static readonly ConcurrentDictionary<string, ConcurrentBag<Transliterator>> Pools = new(StringComparer.Ordinal);

    /// <summary>
    /// Loads ICU and builds one transliterator of each kind, so the first prompt in another script does not pay for it
    /// inside its time budget. Throws when the system's libicu cannot be loaded (scripts/setup.sh installs it).
    /// </summary>
    public static void Warm() => _ = Warmed.Value;

    private static readonly Lazy<bool> Warmed = new(() =>
    {
        foreach (var (sample, script) in new[] { ("バットマン", Script.Kana), ("ｶﾀｶﾅ", Script.Kana), ("Бэтмен", Script.Cyrillic), ("Μπάτμαν", Script.Greek), ("狐狸", Script.Other) })
        {
            _ = Romanise(sample, script);
        }

        return true;
    });

    /// <summary>Matches of catalog names in the non-Latin runs of <paramref name="text"/>, with spans in the original text.</summary>
    public static IReadOnlyList<NameMatch> Find(string text, NameMatcher matcher, bool candidates)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(matcher);
        // Most prompts are plain ASCII: nothing to romanise, and no token list to build for it.
        if (System.Text.Ascii.IsValid(text))
        {
            return [];
        }

        var tokens = Tokens(text);
        if (!tokens.Any(t => t.Script != Script.Latin))
        {
            return [];
        }

        var shadow = new StringBuilder(text.Length * 2);
        var map = new List<(int ShadowStart, int ShadowEnd, int Start, int End)>();
        foreach (var token in tokens)
        {
            if (shadow.Length > 0)
            {
                shadow.Append(' ');
            }

            var latin = token.Script == Script.Latin ? text[token.Start..token.End] : Romanise(text[token.Start..token.End], token.Script);
            // Capitals mark names in the matcher; a caseless script (kana, Han) gives no such sign, so its runs are read
            // as capitalised, and a cased one (Cyrillic, Greek) keeps its own.
            if (token.Script != Script.Latin && latin.Length > 0 && (token.Script is Script.Kana or Script.Other || char.IsUpper(text[token.Start])))
            {
                latin = char.ToUpperInvariant(latin[0]) + latin[1..];
            }
            map.Add((shadow.Length, shadow.Length + latin.Length, token.Start, token.End));
            shadow.Append(latin);
        }

        var shadowText = shadow.ToString();
        var found = new List<NameMatch>();
        foreach (var match in candidates ? matcher.FindCandidates(shadowText) : matcher.Find(shadowText))
        {
            var covered = map.Where(m => m.ShadowStart < match.Start + match.Length && match.Start < m.ShadowEnd).ToList();
            // Only a match that involves a transliterated run is news; Latin runs were matched directly.
            if (covered.Count == 0 || covered.All(m => tokens[map.IndexOf(m)].Script == Script.Latin))
            {
                continue;
            }

            var start = covered[0].Start;
            var end = covered[^1].End;
            // One step below the same match in its own script: the rules are conventions, not identities.
            var confidence = Math.Round(match.Confidence - 0.05, 4);
            found.Add(match with { Start = start, Length = end - start, MatchedText = text[start..end], Confidence = confidence });
        }

        return found;
    }

    /// <summary>The Latin reading of one run of one script, after that script's rules (exposed for tests and docs).</summary>
    public static string Romanise(string run, Script script)
    {
        ArgumentNullException.ThrowIfNull(run);
        return script switch
        {
            Script.Kana => KanaRules(Transliterate("Hiragana-Katakana; Katakana-Latin", ToKatakanaFullWidth(run))),
            Script.Cyrillic => Ascii(Transliterate("Russian-Latin/BGN", CyrillicRules(run))),
            Script.Greek => Ascii(Transliterate("Greek-Latin/UNGEGN", GreekRules(run))),
            Script.Latin => run,
            _ => Ascii(Transliterate("Any-Latin", run)),
        };
    }

    public enum Script
    {
        Latin,
        Cyrillic,
        Greek,
        Kana,
        Other,
    }

    private static Script ScriptOf(char c)
    {
        if (c < 0x250 || !char.IsLetter(c))
        {
            return Script.Latin;
        }

        return c switch
        {
            >= '\u0370' and <= '\u03FF' or >= '\u1F00' and <= '\u1FFF' => Script.Greek,
            >= '\u0400' and <= '\u052F' => Script.Cyrillic,
            >= '\u3040' and <= '\u30FF' or >= '\uFF66' and <= '\uFF9F' or >= '\u31F0' and <= '\u31FF' => Script.Kana,
            _ => Script.Other,
        };
    }

    /// <summary>The script of a letter, with hiragana apart from katakana (Japanese changes between them at word edges).</summary>
    private static int RunOf(char c) => c is >= '\u3040' and <= '\u309F' ? -1 : (int)ScriptOf(c);

    /// <summary>
    /// The Latin reading of a whole text: each run of another script romanised by its rules, Latin runs kept, runs
    /// joined by spaces. The matcher also indexes a non-Latin alias in this form, so an alias given in katakana matches
    /// a prompt in hiragana, half-width katakana or romaji.
    /// </summary>
    public static string Romanise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Join(' ', Tokens(text).Select(t => t.Script == Script.Latin ? text[t.Start..t.End] : Romanise(text[t.Start..t.End], t.Script)));
    }

    /// <summary>Whether a text has letters of a script other than Latin.</summary>
    public static bool HasOtherScript(string text) => text.Any(c => ScriptOf(c) != Script.Latin);

    /// <summary>Whitespace-separated words, further split where the script changes (Japanese writes no spaces), and at
    /// the katakana middle dot that separates the parts of a foreign name.</summary>
    private static List<(int Start, int End, Script Script)> Tokens(string text)
    {
        var tokens = new List<(int, int, Script)>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]) || text[i] is '・' or '･' or '·')
            {
                i++;
                continue;
            }

            var start = i;
            var script = ScriptOf(text[i]);
            var run = RunOf(text[i]);
            i++;
            // The prolonged sound mark and voicing marks (ー, ﾞ, ﾟ) belong to the kana run they follow; hiragana and
            // katakana are separate runs (particles in hiragana end a name in katakana: スパイダーマンの).
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('・' or '･' or '·')
                   && (RunOf(text[i]) == run || (script == Script.Kana && text[i] is 'ー' or 'ｰ' or '\uFF9E' or '\uFF9F')
                       || (script != Script.Latin && !char.IsLetter(text[i]) && !char.IsPunctuation(text[i]))))
            {
                i++;
            }

            tokens.Add((start, i, script));
        }

        return tokens;
    }

    private static string Transliterate(string id, string text)
    {
        _ = Initialised.Value;
        var pool = Pools.GetOrAdd(id, _ => []);
        if (!pool.TryTake(out var transliterator))
        {
            transliterator = Transliterator.CreateInstance(id);
        }

        try
        {
            return transliterator.Transliterate(text, text.Length * 4 + 16);
        }
        finally
        {
            pool.Add(transliterator);
        }
    }

    private static string Ascii(string latin) => Transliterate("Latin-ASCII", latin);

    /// <summary>Half-width katakana to full width (NFKC through ICU), so one rule set reads both.</summary>
    private static string ToKatakanaFullWidth(string run) => run.Any(c => c is >= '\uFF66' and <= '\uFF9F') ? Transliterate("Halfwidth-Fullwidth", run) : run;

    private static string KanaRules(string romaji)
    {
        var s = romaji.ToLowerInvariant().Replace("kya", "ca", StringComparison.Ordinal);
        // "ai" before a consonant was an English long i: supaidā → supidā.
        s = RegexRules.KanaAi().Replace(s, "i$1");
        // Epenthetic vowels (before long vowels are spelt out, so sūpā keeps its ū): u after a consonant and before
        // another consonant or the end (supidā → spidā), o after t/d likewise (battoman → battman).
        s = RegexRules.KanaEpentheticU().Replace(s, "$1");
        s = RegexRules.KanaEpentheticO().Replace(s, "$1");
        // A doubled consonant is the small tsu of a short English vowel (battman → batman).
        s = RegexRules.DoubledConsonant().Replace(s, "$1");
        // Long vowels, which ICU writes with a macron: an English "-er"/"-ar" syllable, a final "-y".
        var b = new StringBuilder(s.Length + 8);
        for (var i = 0; i < s.Length; i++)
        {
            var atEnd = i == s.Length - 1 || !char.IsLetter(s[i + 1]);
            b.Append(s[i] switch
            {
                'ā' => "er",
                'ī' => atEnd ? "y" : "i",
                'ū' => "u",
                'ē' => "e",
                'ō' => "o",
                _ => s[i].ToString(),
            });
        }

        return Ascii(b.ToString());
    }

    private static string CyrillicRules(string run)
    {
        var s = run.ToLowerInvariant();
        s = s.Replace('э', 'а');
        s = RegexRules.CyrillicMen().Replace(s, "ман");
        return RegexRules.CyrillicAi().Replace(s, "и$1");
    }

    private static string GreekRules(string run)
    {
        var s = run.ToLowerInvariant();
        s = s.Replace("μπ", "b", StringComparison.Ordinal).Replace("ντ", "d", StringComparison.Ordinal)
            .Replace("ου", "u", StringComparison.Ordinal).Replace("ού", "u", StringComparison.Ordinal);
        return s;
    }
}

internal static partial class RegexRules
{
    [System.Text.RegularExpressions.GeneratedRegex("ai([bcdfghjklmnpqrstvwxz])")]
    internal static partial System.Text.RegularExpressions.Regex KanaAi();

    [System.Text.RegularExpressions.GeneratedRegex("([bcdfghkmnprsz])u(?=[bcdfghjklmnpqrstvwxz]|$|\\W)")]
    internal static partial System.Text.RegularExpressions.Regex KanaEpentheticU();

    [System.Text.RegularExpressions.GeneratedRegex("([td])o(?=[bcdfghjklmnpqrstvwxz]|$|\\W)")]
    internal static partial System.Text.RegularExpressions.Regex KanaEpentheticO();

    [System.Text.RegularExpressions.GeneratedRegex("([bcdfghjklmnpqrstvwxz])\\1")]
    internal static partial System.Text.RegularExpressions.Regex DoubledConsonant();

    [System.Text.RegularExpressions.GeneratedRegex("мен\\b")]
    internal static partial System.Text.RegularExpressions.Regex CyrillicMen();

    [System.Text.RegularExpressions.GeneratedRegex("ай([бвгджзклмнпрстфхцчшщ])")]
    internal static partial System.Text.RegularExpressions.Regex CyrillicAi();
}
