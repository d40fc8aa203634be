using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;

namespace Compliance.Classifiers.Text;

/// <summary>A character and the sentence embeddings of its description and example prompts (unit length).</summary>
public sealed record CharacterVectors(NamedEntity Character, IReadOnlyList<float[]> Vectors);

/// <summary>How close one character's description or example prompts came to one window of a prompt.</summary>
/// <param name="Character">The character.</param>
/// <param name="Similarity">Best cosine similarity over the character's vectors and the prompt's windows.</param>
/// <param name="Window">Index of the best window.</param>
/// <param name="Margin">Similarity minus the best similarity of any other character (how clearly this one stands out).</param>
public readonly record struct SemanticHit(NamedEntity Character, float Similarity, int Window, float Margin);

/// <summary>
/// Exact nearest-neighbour search over the characters' description and example-prompt embeddings. Rows are
/// quantised to int8 with one scale per row (384 bytes a row, a quarter of float32) and scanned in full: at 100,000
/// characters a scan is a few milliseconds (bench/README.md), exact, and needs no index to keep in step with the
/// catalog. Immutable and thread-safe; the catalog builds a new one when descriptions change.
/// </summary>
public sealed class CharacterSemanticIndex
{
    private const int Dim = SentenceEmbedder.Dimensions;

    private readonly NamedEntity[] _characters;
    private readonly sbyte[] _rows;
    private readonly float[] _scales;
    private readonly int[] _rowCharacter;
    private readonly Dictionary<Guid, (int First, int Count)> _rowsOf;

    private CharacterSemanticIndex(NamedEntity[] characters, sbyte[] rows, float[] scales, int[] rowCharacter, Dictionary<Guid, (int, int)> rowsOf, string version)
    {
        _characters = characters;
        _rows = rows;
        _scales = scales;
        _rowCharacter = rowCharacter;
        _rowsOf = rowsOf;
        Version = version;
    }

    public static CharacterSemanticIndex Empty { get; } = Build([]);

    /// <summary>Short content hash of the vectors and their characters.</summary>
    public string Version { get; }

    public int CharacterCount => _characters.Length;

    public int RowCount => _scales.Length;

    public static CharacterSemanticIndex Build(IEnumerable<CharacterVectors> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var list = characters.Where(c => c.Vectors.Count > 0).ToArray();
        var rowCount = list.Sum(c => c.Vectors.Count);
        var rows = new sbyte[rowCount * Dim];
        var scales = new float[rowCount];
        var rowCharacter = new int[rowCount];
        var rowsOf = new Dictionary<Guid, (int, int)>(list.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var r = 0;
        for (var c = 0; c < list.Length; c++)
        {
            rowsOf[list[c].Character.Id] = (r, list[c].Vectors.Count);
            hash.AppendData(list[c].Character.Id.ToByteArray());
            foreach (var vector in list[c].Vectors)
            {
                if (vector.Length != Dim)
                {
                    throw new ArgumentException($"Vectors must have {Dim} dimensions; one of {list[c].Character.CanonicalName}'s has {vector.Length}.", nameof(characters));
                }

                scales[r] = Quantize(vector, rows.AsSpan(r * Dim, Dim));
                rowCharacter[r] = c;
                hash.AppendData(MemoryMarshal.AsBytes(vector.AsSpan()));
                r++;
            }
        }

        hash.AppendData(Encoding.UTF8.GetBytes("int8/" + Dim));
        return new CharacterSemanticIndex(list.Select(c => c.Character).ToArray(), rows, scales, rowCharacter, rowsOf,
            Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 6)));
    }

    /// <summary>
    /// The characters whose best similarity to any of <paramref name="windows"/> reaches <paramref name="floor"/>,
    /// best first, at most <paramref name="top"/>.
    /// </summary>
    public IReadOnlyList<SemanticHit> Search(IReadOnlyList<float[]> windows, float floor, int top)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0 || _characters.Length == 0)
        {
            return [];
        }

        var (queries, queryScales) = QuantizeAll(windows);
        var best = new float[_characters.Length];
        var bestWindow = new int[_characters.Length];
        best.AsSpan().Fill(float.NegativeInfinity);
        var rows = _rows.AsSpan();
        for (var r = 0; r < _scales.Length; r++)
        {
            var row = rows.Slice(r * Dim, Dim);
            var c = _rowCharacter[r];
            for (var w = 0; w < windows.Count; w++)
            {
                var similarity = Dot(row, queries.AsSpan(w * Dim, Dim)) * _scales[r] * queryScales[w];
                if (similarity > best[c])
                {
                    best[c] = similarity;
                    bestWindow[c] = w;
                }
            }
        }

        // The two best overall give every hit its margin over the strongest other character.
        int first = -1, second = -1;
        for (var c = 0; c < best.Length; c++)
        {
            if (first < 0 || best[c] > best[first])
            {
                second = first;
                first = c;
            }
            else if (second < 0 || best[c] > best[second])
            {
                second = c;
            }
        }

        var hits = new List<SemanticHit>();
        for (var c = 0; c < best.Length; c++)
        {
            if (best[c] >= floor)
            {
                var other = c == first ? (second < 0 ? 0f : best[second]) : best[first];
                hits.Add(new SemanticHit(_characters[c], best[c], bestWindow[c], best[c] - other));
            }
        }

        hits.Sort((a, b) => b.Similarity.CompareTo(a.Similarity));
        return hits.Count > top ? hits.GetRange(0, top) : hits;
    }

    /// <summary>The best similarity of one character's vectors to any window (and which window), or null when it has none.</summary>
    public (float Similarity, int Window)? SimilarityOf(Guid characterId, IReadOnlyList<float[]> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0 || !_rowsOf.TryGetValue(characterId, out var range))
        {
            return null;
        }

        var (queries, queryScales) = QuantizeAll(windows);
        var best = float.NegativeInfinity;
        var bestWindow = 0;
        for (var r = range.First; r < range.First + range.Count; r++)
        {
            for (var w = 0; w < windows.Count; w++)
            {
                var similarity = Dot(_rows.AsSpan(r * Dim, Dim), queries.AsSpan(w * Dim, Dim)) * _scales[r] * queryScales[w];
                if (similarity > best)
                {
                    best = similarity;
                    bestWindow = w;
                }
            }
        }

        return (best, bestWindow);
    }

    private static (sbyte[] Rows, float[] Scales) QuantizeAll(IReadOnlyList<float[]> vectors)
    {
        var rows = new sbyte[vectors.Count * Dim];
        var scales = new float[vectors.Count];
        for (var i = 0; i < vectors.Count; i++)
        {
            scales[i] = Quantize(vectors[i], rows.AsSpan(i * Dim, Dim));
        }

        return (rows, scales);
    }

    /// <summary>Symmetric int8: the largest magnitude maps to ±127. Returns the scale back to float.</summary>
    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> into)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(vector);
        var max1 = MathF.Abs(max);
        if (max1 == 0)
        {
            into.Clear();
            return 0;
        }

        var scale = max1 / 127f;
        for (var i = 0; i < vector.Length; i++)
        {
            into[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127, 127);
        }

        return scale;
    }

    internal static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported && a.Length >= 32)
        {
            var acc = Vector256<int>.Zero;
            ref var ra = ref MemoryMarshal.GetReference(a);
            ref var rb = ref MemoryMarshal.GetReference(b);
            for (; i <= a.Length - 32; i += 32)
            {
                var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var vb = Vector256.LoadUnsafe(ref rb, (nuint)i);
                var (aLow, aHigh) = Vector256.Widen(va);
                var (bLow, bHigh) = Vector256.Widen(vb);
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(aLow, bLow));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(aHigh, bHigh));
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
