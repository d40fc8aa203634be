using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Compliance.Classifiers.Text;

/// <summary>
/// Turns text into the matcher's <em>skeleton</em>: a stream of letter/digit equivalence classes in which
/// case, diacritics, compatibility forms (full-width, mathematical, circled letters), Cyrillic/Greek look-alikes
/// and leetspeak digits/symbols are folded away, separators are dropped and runs of one symbol collapse.
/// Every skeleton symbol keeps the UTF-16 range of the original text it came from.
/// </summary>
/// <remarks>
/// Latin letters fold to 25 classes (<c>l</c> shares the class of <c>i</c>, <c>1</c>, <c>!</c> and <c>|</c>);
/// digits fold to the letter they are used for in leetspeak (0→o 1→i 2→z 3→e 4→a 5→s 6→g 7→t 8→b 9→g); the symbols
/// <c>@ $ ! | +</c> fold to a, s, i, i, t but do not count as word characters for boundaries. Letters of other
/// scripts stay themselves (lower-cased). The service runs with invariant globalization, where
/// <see cref="string.Normalize()"/> does nothing for non-ASCII text, so NFKD comes from an embedded table generated
/// from the Unicode data by <c>tools/text-matcher/gen_fold_table.py</c>.
/// </remarks>
public static class TextNormalizer
{
    /// <summary>The printable skeleton of <paramref name="text"/>: <c>"S.p.i.d.e.r-M@@n"</c> gives <c>"spiderman"</c>
    /// (the i/l/1/! class prints as <c>i</c>). One character per symbol, so two names have the same string exactly when
    /// the matcher reads them as the same pattern: the service uses it as the key under which a name is owned
    /// (docs/decisions/ADR-008-name-ownership.md). Matching itself uses the symbol arrays.</summary>
    public static string ToSkeletonString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var skeleton = Skeleton.Create(text);
        try
        {
            return string.Create(skeleton.Length, skeleton, static (chars, s) => Print(s.Span, chars));
        }
        finally
        {
            skeleton.Return();
        }
    }

    /// <summary>Writes the printable form of <paramref name="symbols"/> (one char each, as <see cref="ToSkeletonString"/>).</summary>
    internal static void Print(ReadOnlySpan<ushort> symbols, Span<char> chars)
    {
        for (var i = 0; i < symbols.Length; i++)
        {
            var symbol = symbols[i];
            chars[i] = symbol <= LatinSymbolCount ? (char)('a' + symbol - 1) : (char)symbol;
        }
    }

    /// <summary>Number of Latin symbols; symbols 1..26 are Latin classes, larger ones are other scripts' code units.</summary>
    internal const int LatinSymbolCount = 26;

    internal enum CharKind : byte
    {
        /// <summary>Punctuation or symbol inside a word-ish run (<c>.</c>, <c>-</c>, <c>_</c>, <c>'</c>): dropped.</summary>
        Soft = 0,

        /// <summary>Whitespace: dropped, and separates words.</summary>
        Hard = 1,

        /// <summary>Combining marks and format characters such as zero-width spaces: invisible, transparent.</summary>
        Ignorable = 2,

        /// <summary>Letters and digits: produce symbols and count as word characters.</summary>
        Word = 3,

        /// <summary>Leetspeak symbols (<c>@ $ ! | +</c>): produce symbols but are not word characters.</summary>
        Leet = 4,
    }

    /// <summary>Classifies the code point at <paramref name="index"/> and appends its symbols to <paramref name="symbols"/>.</summary>
    /// <returns>The number of UTF-16 units consumed (1 or 2).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Classify(ReadOnlySpan<char> text, int index, Span<ushort> symbols, out int symbolCount, out CharKind kind)
    {
        var c = text[index];
        if (!char.IsHighSurrogate(c) || index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
        {
            var entry = FoldTable.Bmp[c];
            kind = (CharKind)(entry >> 28);
            symbolCount = (int)((entry >> 24) & 0xF);
            var payload = (int)(entry & 0xFFFFFF);
            if (symbolCount == 1)
            {
                symbols[0] = (ushort)payload;
            }
            else if (symbolCount > 1)
            {
                FoldTable.Expansions.AsSpan(payload, symbolCount).CopyTo(symbols);
            }

            return 1;
        }

        var codePoint = char.ConvertToUtf32(c, text[index + 1]);
        if (FoldTable.Astral.TryGetValue(codePoint, out var folded))
        {
            kind = folded.Length == 0 ? CharKind.Ignorable : CharKind.Word;
            symbolCount = Math.Min(folded.Length, symbols.Length);
            folded.AsSpan(0, symbolCount).CopyTo(symbols);
            return 2;
        }

        kind = KindOf(CharUnicodeInfo.GetUnicodeCategory(codePoint));
        symbolCount = 0;
        if (kind == CharKind.Word)
        {
            symbols[0] = c;
            symbols[1] = text[index + 1];
            symbolCount = 2;
        }

        return 2;
    }

    /// <summary>The one symbol an ASCII letter or digit folds to, or 0 for any other character (separators, leetspeak
    /// symbols, controls, and everything from U+0080 on): the fast path of <see cref="Skeleton.Create(ReadOnlySpan{char})"/> inside a word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort AsciiWordSymbol(char c)
    {
        if (c >= 0x80)
        {
            return 0;
        }

        var entry = FoldTable.Bmp[c];
        return (entry >> 24) == (((uint)CharKind.Word << 4) | 1) ? (ushort)(entry & 0xFFFFFF) : (ushort)0;
    }

    private static CharKind KindOf(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Word,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format => CharKind.Ignorable,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Control => CharKind.Hard,
        _ => CharKind.Soft,
    };

    /// <summary>The per-character fold, built once from the embedded table.</summary>
    private static class FoldTable
    {
        /// <summary>Per BMP code unit: kind (bits 28-31), symbol count (bits 24-27), symbol or expansion index (bits 0-23).</summary>
        internal static readonly uint[] Bmp;
        internal static readonly ushort[] Expansions;
        internal static readonly Dictionary<int, ushort[]> Astral;

#pragma warning disable CA1810 // the three tables come from one pass over the resource
        static FoldTable()
#pragma warning restore CA1810
        {
            var bmp = new uint[65536];
            var expansions = new List<ushort>();
            for (var c = 0; c < 65536; c++)
            {
                var (kind, symbol) = BaseFold((char)c);
                bmp[c] = Pack(kind, symbol == 0 ? 0 : 1, symbol);
            }

            var astral = new Dictionary<int, ushort[]>();
            using var stream = typeof(TextNormalizer).Assembly.GetManifestResourceStream("Compliance.Classifiers.Text.fold-table.txt")
                ?? throw new InvalidOperationException("The embedded fold table is missing.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var folded = new List<ushort>();
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                var codePoint = int.Parse(line.AsSpan(0, tab), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                folded.Clear();
                var anyLeet = false;
                foreach (var part in line.AsSpan(tab + 1).Split(' '))
                {
                    if (part.End.Value == part.Start.Value)
                    {
                        continue;
                    }

                    var target = int.Parse(line.AsSpan(tab + 1)[part], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (target > 0xFFFF)
                    {
                        continue;
                    }

                    var (kind, symbol) = BaseFold((char)target);
                    anyLeet |= kind == CharKind.Leet;
                    if (symbol != 0 && (folded.Count == 0 || folded[^1] != symbol))
                    {
                        folded.Add(symbol);
                    }
                }

                if (codePoint > 0xFFFF)
                {
                    astral[codePoint] = [.. folded];
                    continue;
                }

                var originalKind = (CharKind)(bmp[codePoint] >> 28);
                var newKind = originalKind switch
                {
                    CharKind.Word => folded.Count == 0 ? CharKind.Ignorable : CharKind.Word,
                    _ when folded.Count > 0 => anyLeet ? CharKind.Leet : originalKind == CharKind.Soft ? CharKind.Leet : originalKind,
                    _ => originalKind,
                };
                if (newKind is not (CharKind.Word or CharKind.Leet))
                {
                    folded.Clear();
                }

                var count = Math.Min(folded.Count, Skeleton.MaxSymbolsPerChar);
                if (count <= 1)
                {
                    bmp[codePoint] = Pack(newKind, count, count == 0 ? 0 : folded[0]);
                }
                else
                {
                    bmp[codePoint] = Pack(newKind, count, expansions.Count);
                    expansions.AddRange(folded.Take(count));
                }
            }

            Bmp = bmp;
            Expansions = [.. expansions];
            Astral = astral;
        }

        private static uint Pack(CharKind kind, int count, int payload) => ((uint)kind << 28) | ((uint)count << 24) | (uint)payload;

        /// <summary>The fold of one UTF-16 unit without the table: ASCII by hand, other scripts by category and case.</summary>
        private static (CharKind Kind, ushort Symbol) BaseFold(char c)
        {
            if (c < 0x80)
            {
                return c switch
                {
                    >= 'a' and <= 'z' => (CharKind.Word, Latin(c)),
                    >= 'A' and <= 'Z' => (CharKind.Word, Latin((char)(c + 32))),
                    >= '0' and <= '9' => (CharKind.Word, Latin("oizeasgtbg"[c - '0'])),
                    '@' => (CharKind.Leet, Latin('a')),
                    '$' => (CharKind.Leet, Latin('s')),
                    '!' or '|' => (CharKind.Leet, Latin('i')),
                    '+' => (CharKind.Leet, Latin('t')),
                    ' ' or '\t' or '\n' or '\r' or '\f' or '\v' => (CharKind.Hard, 0),
                    < ' ' or '\x7F' => (CharKind.Hard, 0),
                    _ => (CharKind.Soft, 0),
                };
            }

            if (char.IsSurrogate(c))
            {
                return (CharKind.Word, c);
            }

            var kind = KindOf(CharUnicodeInfo.GetUnicodeCategory(c));
            if (kind != CharKind.Word)
            {
                return (kind, 0);
            }

            var lower = char.ToLowerInvariant(c);
            return lower < 0x80 ? BaseFold(lower) : (kind, lower);
        }

        private static ushort Latin(char lower) => (ushort)((lower == 'l' ? 'i' : lower) - 'a' + 1);
    }
}
