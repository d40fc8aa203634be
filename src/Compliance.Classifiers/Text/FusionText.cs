using System.Buffers;

namespace Compliance.Classifiers.Text;

/// <summary>
/// One prompt's printed skeleton (<see cref="TextNormalizer.ToSkeletonString"/>), folded once and shared by the fusion
/// features of every candidate of that prompt; each candidate's "text with the match cut out" is spliced from it
/// (<see cref="CutSkeleton"/>, ADR-040) instead of folding the whole prompt again. Arrays are rented: dispose it.
/// </summary>
/// <param name="text">The prompt.</param>
/// <param name="folded">Its skeleton when the caller has it (the name matcher's walk folded it): taken over and returned
/// to the pool on dispose.</param>
internal sealed class FusionText(string text, Skeleton? folded = null) : IDisposable
{
    /// <summary>How far from the cut a reset point is looked for before the splice gives up and folds to the text's end
    /// (or from its start): correct either way, this only bounds the search.</summary>
    private const int MaxResetSearch = 256;

    private Skeleton? _skeleton = folded;
    private char[]? _printed;

    public string Text { get; } = text;

    /// <summary>The printed skeleton of the whole text.</summary>
    public ReadOnlySpan<char> Printed
    {
        get
        {
            var skeleton = Fold();
            return _printed.AsSpan(0, skeleton.Length);
        }
    }

    /// <summary>
    /// The printed skeleton of <c>Text[..start] + " " + Text[end..]</c>: the whole text's symbols before a reset point
    /// at or before <paramref name="start"/>, a fold of the text from there to a reset point after
    /// <paramref name="end"/> with the cut made, and the whole text's symbols from that point on.
    /// </summary>
    /// <remarks>
    /// <para>Why that is the same as folding the cut text (<see cref="Skeleton.Create(ReadOnlySpan{char})"/>): the fold reads one code point
    /// at a time with a small state (a gap since the last symbol, whitespace since it, the previous code point a word
    /// character, the previous segment's symbol count and the one being counted, and, through the symbols written so
    /// far, the last symbol and the case of the character it came from), and looks ahead only over invisible
    /// characters to the next visible one (<c>IsSingleSymbolSegment</c>). Call a position <i>r</i> a reset point of a
    /// text when <i>r</i> = 0, or the code point before <i>r</i> is a separator (whitespace or punctuation) and the last
    /// segment (run of symbol-producing code points, invisible ones inside it ignored) before <i>r</i> has a symbol count
    /// other than one. At a reset point the state is, for everything the fold does later, the state it starts with: a
    /// gap is open, so the next symbol is not adjacent to the last one and does not collapse into it; the previous
    /// segment is not a single symbol, so the next symbol is not part of a spelt-out name and a capital cannot start a
    /// new word of one; "previous code point a word character" and "whitespace since" change flags only, never symbols;
    /// and the next symbol resets the segment count. Letters and leetspeak symbols always fold to at least one symbol
    /// (the fold table makes a letter that folds to nothing invisible; a test checks every BMP code unit), so the last
    /// symbol before <i>r</i> is never compared with a later one. Hence the symbols written from a reset point on are
    /// those of folding the rest of the text alone.</para>
    /// <para>Before the cut: the text and the cut text agree up to <paramref name="start"/>, and the code point before a
    /// reset point <i>f</i> ≤ start is visible, so no look-ahead from before <i>f</i> reaches the cut: the symbols
    /// written before <i>f</i> are the whole text's symbols whose source starts before <i>f</i>, and <i>f</i> is a reset
    /// point of the cut text too. After the cut: a position <i>t</i> &gt; end whose previous code point is a separator,
    /// whose last segment before it is bounded by a separator at or after <paramref name="end"/> (so it is the same
    /// characters in both texts) and does not have one symbol, is a reset point of both texts, which agree from
    /// <paramref name="end"/> on; so the symbols from <i>t</i> on are the whole text's symbols whose source starts at or
    /// after <i>t</i>. Between <i>f</i> and <i>t</i> the cut text is folded from a reset point to just after a visible
    /// separator, so no look-ahead leaves the folded piece. Where no reset point is near (<see cref="MaxResetSearch"/>),
    /// <i>f</i> = 0 or <i>t</i> = the text's end, which folds the cut text as before.</para>
    /// </remarks>
    public ReadOnlySpan<char> CutSkeleton(int start, int end, out char[] rented)
    {
        var whole = Fold();
        var text = Text.AsSpan();
        var from = ResetPointBefore(text, start);
        var to = ResetPointAfter(text, end);
        var head = FirstFrom(whole, from);
        var tail = FirstFrom(whole, to);
        var middleLength = start - from + 1 + (to - end);
        var middle = ArrayPool<char>.Shared.Rent(middleLength);
        Skeleton? folded = null;
        try
        {
            text[from..start].CopyTo(middle);
            middle[start - from] = ' ';
            text[end..to].CopyTo(middle.AsSpan(start - from + 1));
            folded = Skeleton.Create(middle.AsSpan(0, middleLength));
            var length = head + folded.Length + (whole.Length - tail);
            rented = ArrayPool<char>.Shared.Rent(Math.Max(1, length));
            _printed.AsSpan(0, head).CopyTo(rented);
            TextNormalizer.Print(folded.Span, rented.AsSpan(head));
            _printed.AsSpan(tail, whole.Length - tail).CopyTo(rented.AsSpan(head + folded.Length));
            return rented.AsSpan(0, length);
        }
        finally
        {
            folded?.Return();
            ArrayPool<char>.Shared.Return(middle);
        }
    }

    public void Dispose()
    {
        _skeleton?.Return();
        _skeleton = null;
        if (_printed is not null)
        {
            ArrayPool<char>.Shared.Return(_printed);
            _printed = null;
        }
    }

    private Skeleton Fold()
    {
        _skeleton ??= Skeleton.Create(Text);
        if (_printed is null)
        {
            _printed = ArrayPool<char>.Shared.Rent(Math.Max(1, _skeleton.Length));
            TextNormalizer.Print(_skeleton.Span, _printed);
        }

        return _skeleton;
    }

    /// <summary>The first symbol whose source starts at or after <paramref name="position"/> (symbols' starts ascend).</summary>
    private static int FirstFrom(Skeleton skeleton, int position)
    {
        int lo = 0, hi = skeleton.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (skeleton.Starts[mid] < position)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The nearest reset point at or before <paramref name="start"/> (0 if none is near).</summary>
    private static int ResetPointBefore(ReadOnlySpan<char> text, int start)
    {
        for (var r = start; r > 0 && start - r <= MaxResetSearch; r = PreviousStart(text, r))
        {
            if (IsSeparator(text, PreviousStart(text, r)) && SegmentSymbolsBefore(text, r, 0) is not (1 or -1))
            {
                return r;
            }
        }

        return 0;
    }

    /// <summary>The nearest position after <paramref name="end"/> that is a reset point of both the text and the cut text
    /// (the text's length if none is near).</summary>
    private static int ResetPointAfter(ReadOnlySpan<char> text, int end)
    {
        Span<ushort> scratch = stackalloc ushort[Skeleton.MaxSymbolsPerChar];
        var i = end;
        while (i < text.Length && i - end <= MaxResetSearch)
        {
            var width = TextNormalizer.Classify(text, i, scratch, out _, out var kind);
            i += width;
            if (kind is TextNormalizer.CharKind.Hard or TextNormalizer.CharKind.Soft && i < text.Length
                && SegmentSymbolsBefore(text, i, end) is not (1 or -1))
            {
                return i;
            }
        }

        return text.Length;
    }

    /// <summary>
    /// The symbol count of the last segment before <paramref name="position"/>, counted back to the separator that opens
    /// it; 0 when no symbol lies between <paramref name="floor"/> = 0 and the position. −1 when the count is not known
    /// from the text at or after a non-zero <paramref name="floor"/> (the segment, or the gap before the position,
    /// reaches back to the floor).
    /// </summary>
    private static int SegmentSymbolsBefore(ReadOnlySpan<char> text, int position, int floor)
    {
        Span<ushort> scratch = stackalloc ushort[Skeleton.MaxSymbolsPerChar];
        var count = 0;
        var inSegment = false;
        var i = position;
        while (i > floor)
        {
            var at = PreviousStart(text, i);
            _ = TextNormalizer.Classify(text, at, scratch, out var symbols, out var kind);
            switch (kind)
            {
                case TextNormalizer.CharKind.Ignorable:
                    break;
                case TextNormalizer.CharKind.Hard or TextNormalizer.CharKind.Soft:
                    if (inSegment)
                    {
                        return count;
                    }

                    break;
                default:
                    inSegment = true;
                    count += symbols;
                    break;
            }

            i = at;
        }

        return floor == 0 ? count : -1;
    }

    private static bool IsSeparator(ReadOnlySpan<char> text, int at)
    {
        Span<ushort> scratch = stackalloc ushort[Skeleton.MaxSymbolsPerChar];
        _ = TextNormalizer.Classify(text, at, scratch, out _, out var kind);
        return kind is TextNormalizer.CharKind.Hard or TextNormalizer.CharKind.Soft;
    }

    /// <summary>Where the code point that ends at <paramref name="index"/> starts, as the fold's forward reading pairs
    /// surrogates (a high surrogate followed by a low one is one code point; any other surrogate stands alone).</summary>
    private static int PreviousStart(ReadOnlySpan<char> text, int index) =>
        index >= 2 && char.IsLowSurrogate(text[index - 1]) && char.IsHighSurrogate(text[index - 2]) ? index - 2 : index - 1;
}
