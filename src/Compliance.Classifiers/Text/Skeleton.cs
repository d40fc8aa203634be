using System.Buffers;
using System.Runtime.CompilerServices;

namespace Compliance.Classifiers.Text;

/// <summary>
/// The skeleton of one text (see <see cref="TextNormalizer"/>) with, for each symbol, the UTF-16 range of the
/// original text it stands for and flags about what surrounds it there. Arrays are rented; call <see cref="Return"/>.
/// </summary>
internal sealed class Skeleton
{
    /// <summary>The most symbols one code point may fold to (e.g. a ligature or a compatibility square).</summary>
    internal const int MaxSymbolsPerChar = 4;

    /// <summary>The char before this symbol, ignoring zero-width and combining characters, is not a letter or digit.</summary>
    internal const byte WordStart = 1;

    /// <summary>Whitespace stands between the previous symbol and this one (or this is the first symbol).</summary>
    internal const byte HardGapBefore = 2;

    /// <summary>Any separator (whitespace or punctuation) stands between the previous symbol and this one.</summary>
    internal const byte GapBefore = 4;

    /// <summary>The char after this symbol, ignoring zero-width and combining characters, is not a letter or digit.</summary>
    internal const byte BoundaryAfter = 8;

    private Skeleton(int capacity)
    {
        Symbols = ArrayPool<ushort>.Shared.Rent(capacity);
        Starts = ArrayPool<int>.Shared.Rent(capacity);
        Ends = ArrayPool<int>.Shared.Rent(capacity);
        Flags = ArrayPool<byte>.Shared.Rent(capacity);
    }

    internal ushort[] Symbols { get; private set; }

    /// <summary>Offset in the original text of the first UTF-16 unit of the code point(s) a symbol stands for.</summary>
    internal int[] Starts { get; private set; }

    /// <summary>Exclusive end offset in the original text, including trailing combining and zero-width characters.</summary>
    internal int[] Ends { get; private set; }

    internal byte[] Flags { get; private set; }

    internal int Length { get; private set; }

    internal ReadOnlySpan<ushort> Span => Symbols.AsSpan(0, Length);

    internal static Skeleton Create(ReadOnlySpan<char> text) => Create(text, asciiRuns: true);

    /// <param name="text">The text.</param>
    /// <param name="asciiRuns">Whether the rest of a word is folded by the ASCII fast path (<see cref="AppendAsciiWordRun"/>);
    /// false only for the test that shows both paths fold every text alike.</param>
    internal static Skeleton Create(ReadOnlySpan<char> text, bool asciiRuns)
    {
        var skeleton = new Skeleton(text.Length + MaxSymbolsPerChar);
        var folded = default(FoldedSymbols);
        Span<ushort> scratch = folded;
        var anyGap = true;
        var hardGap = true;
        var previousIsWord = false;
        var previousSegmentIsSingle = false;
        var segmentSymbols = 0;
        var i = 0;
        while (i < text.Length)
        {
            var width = TextNormalizer.Classify(text, i, scratch, out var count, out var kind);
            switch (kind)
            {
                case TextNormalizer.CharKind.Ignorable:
                    if (skeleton.Length > 0 && !anyGap)
                    {
                        skeleton.Ends[skeleton.Length - 1] = i + width;
                    }

                    break;
                case TextNormalizer.CharKind.Hard:
                    hardGap = anyGap = true;
                    previousIsWord = false;
                    break;
                case TextNormalizer.CharKind.Soft:
                    anyGap = true;
                    previousIsWord = false;
                    break;
                default:
                    // Spelt-out letters ("B a r r y", "D.e.a.d.p.o.o.l") collapse like adjacent ones.
                    if (anyGap)
                    {
                        previousSegmentIsSingle = segmentSymbols == 1;
                        segmentSymbols = 0;
                    }

                    // ...except where a capital follows a small letter ("D a r k K n i g h t"): that is a new word of
                    // the name, whose first letter the alias keeps apart from the last of the word before.
                    var spelledOut = anyGap && previousSegmentIsSingle && count == 1
                        && !(char.IsUpper(text[i]) && skeleton.Length > 0 && char.IsLower(text[skeleton.Starts[skeleton.Length - 1]]))
                        && IsSingleSymbolSegment(text, i + width);
                    segmentSymbols += count;
                    skeleton.AppendChar(scratch[..count], i, i + width, kind, previousIsWord, anyGap, hardGap, spelledOut);
                    anyGap = hardGap = false;
                    previousIsWord = kind == TextNormalizer.CharKind.Word;
                    if (previousIsWord && asciiRuns)
                    {
                        // The rest of the word, while it is ASCII letters and digits: the same symbols and flags as the
                        // general path gives them (no gap, the previous character a word character), without its branches.
                        var next = skeleton.AppendAsciiWordRun(text, i + width);
                        segmentSymbols += next - (i + width);
                        i = next;
                        continue;
                    }

                    break;
            }

            i += width;
        }

        return skeleton;
    }

    /// <summary>
    /// Appends the ASCII letters and digits from <paramref name="i"/> on, each right after a word character of this
    /// skeleton with no gap: a symbol equal to the last one extends it (a run collapses), another ends the last one's word
    /// (<see cref="BoundaryAfter"/> moves to it). Stops at the first other character; returns its offset.
    /// </summary>
    private int AppendAsciiWordRun(ReadOnlySpan<char> text, int i)
    {
        var symbols = Symbols;
        var starts = Starts;
        var ends = Ends;
        var flags = Flags;
        var length = Length;
        for (; i < text.Length; i++)
        {
            var symbol = TextNormalizer.AsciiWordSymbol(text[i]);
            if (symbol == 0)
            {
                break;
            }

            if (symbols[length - 1] == symbol)
            {
                ends[length - 1] = i + 1;
                continue;
            }

            flags[length - 1] &= unchecked((byte)~BoundaryAfter);
            if (length == symbols.Length)
            {
                Length = length;
                Grow();
                (symbols, starts, ends, flags) = (Symbols, Starts, Ends, Flags);
            }

            symbols[length] = symbol;
            starts[length] = i;
            ends[length] = i + 1;
            flags[length] = BoundaryAfter;
            length++;
        }

        Length = length;
        return i;
    }

    /// <summary>Whether the code point at <paramref name="next"/> ends the segment (a separator or the end of text).</summary>
    private static bool IsSingleSymbolSegment(ReadOnlySpan<char> text, int next)
    {
        var folded = default(FoldedSymbols);
        Span<ushort> scratch = folded;
        while (next < text.Length)
        {
            var width = TextNormalizer.Classify(text, next, scratch, out _, out var kind);
            if (kind != TextNormalizer.CharKind.Ignorable)
            {
                return kind is TextNormalizer.CharKind.Soft or TextNormalizer.CharKind.Hard;
            }

            next += width;
        }

        return true;
    }

    internal void Return()
    {
        ArrayPool<ushort>.Shared.Return(Symbols);
        ArrayPool<int>.Shared.Return(Starts);
        ArrayPool<int>.Shared.Return(Ends);
        ArrayPool<byte>.Shared.Return(Flags);
        Symbols = [];
        Starts = Ends = [];
        Flags = [];
        Length = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendChar(ReadOnlySpan<ushort> symbols, int start, int end, TextNormalizer.CharKind kind, bool previousIsWord, bool anyGap, bool hardGap, bool spelledOut)
    {
        for (var k = 0; k < symbols.Length; k++)
        {
            var symbol = symbols[k];
            var adjacent = k > 0 || !anyGap;
            if (spelledOut && Length > 0 && Symbols[Length - 1] == symbol)
            {
                Ends[Length - 1] = end;
                continue;
            }

            if (Length > 0 && adjacent && Symbols[Length - 1] == symbol)
            {
                // A run of one symbol ("Baaatman", "Bi11") collapses; the run's end moves, its flags stay.
                Ends[Length - 1] = end;
                continue;
            }

            if (Length > 0 && adjacent && (k > 0 || kind == TextNormalizer.CharKind.Word))
            {
                Flags[Length - 1] &= unchecked((byte)~BoundaryAfter);
            }

            if (Length == Symbols.Length)
            {
                Grow();
            }

            byte flags = BoundaryAfter;
            if (k == 0)
            {
                flags |= previousIsWord ? (byte)0 : WordStart;
                flags |= anyGap ? GapBefore : (byte)0;
                flags |= hardGap ? HardGapBefore : (byte)0;
            }

            Symbols[Length] = symbol;
            Starts[Length] = start;
            Ends[Length] = end;
            Flags[Length] = flags;
            Length++;
        }
    }

    private void Grow()
    {
        var size = Symbols.Length * 2;
        Symbols = Regrow(Symbols, size);
        Starts = Regrow(Starts, size);
        Ends = Regrow(Ends, size);
        Flags = Regrow(Flags, size);
    }

    private static T[] Regrow<T>(T[] old, int size)
    {
        var fresh = ArrayPool<T>.Shared.Rent(size);
        old.AsSpan().CopyTo(fresh);
        ArrayPool<T>.Shared.Return(old);
        return fresh;
    }

    /// <summary>Room for one code point's symbols: a local without <c>stackalloc</c>, so the methods with loops that fold
    /// stay eligible for tiered compilation and its profile-guided optimisation (a method with <c>stackalloc</c> and a loop
    /// is compiled once, fully optimised but without a profile).</summary>
    [InlineArray(MaxSymbolsPerChar)]
    private struct FoldedSymbols
    {
        private ushort _first;
    }
}
