namespace Compliance.Classifiers.Text;

/// <summary>
/// A trie over skeleton symbols in three flat arrays, nodes numbered breadth-first so that the children of a node are
/// a contiguous, symbol-sorted run of node ids: no per-node objects and no edge array (10 bytes a node), plus a dense
/// table for the root's Latin children where every walk starts.
/// </summary>
/// <remarks>
/// Matches may only start where the original text starts a word, so the matcher walks the trie from the root at each
/// word start instead of running Aho–Corasick over every position: failure links would only find matches that the
/// word-boundary rule then throws away. A walk costs at most the depth of the deepest matching prefix, whatever the
/// catalog size.
/// </remarks>
internal sealed class SkeletonTrie
{
    private const int LinearScanLimit = 8;

    /// <summary>Children of node n are nodes [_firstChild[n], _firstChild[n + 1]).</summary>
    private readonly int[] _firstChild;

    /// <summary>The symbol on the edge into each node.</summary>
    private readonly ushort[] _symbol;

    /// <summary>The pattern that ends at each node, or -1.</summary>
    private readonly int[] _pattern;

    private readonly int[] _rootLatin;

    /// <param name="patterns">Distinct, non-empty skeletons in ordinal order; pattern ids are indexes into this list.</param>
    internal SkeletonTrie(IReadOnlyList<ushort[]> patterns)
    {
        var capacity = 16;
        var firstChild = new int[capacity + 1];
        var symbol = new ushort[capacity];
        var pattern = new int[capacity];
        var lo = new int[capacity];
        var hi = new int[capacity];
        var depth = new int[capacity];
        var count = 1;
        hi[0] = patterns.Count;
        for (var node = 0; node < count; node++)
        {
            firstChild[node] = count;
            pattern[node] = -1;
            var i = lo[node];
            var end = hi[node];
            var d = depth[node];
            if (i < end && patterns[i].Length == d)
            {
                pattern[node] = i++;
            }

            while (i < end)
            {
                var s = patterns[i][d];
                var j = i + 1;
                while (j < end && patterns[j][d] == s)
                {
                    j++;
                }

                if (count == capacity)
                {
                    capacity *= 2;
                    Array.Resize(ref firstChild, capacity + 1);
                    Array.Resize(ref symbol, capacity);
                    Array.Resize(ref pattern, capacity);
                    Array.Resize(ref lo, capacity);
                    Array.Resize(ref hi, capacity);
                    Array.Resize(ref depth, capacity);
                }

                symbol[count] = s;
                lo[count] = i;
                hi[count] = j;
                depth[count] = d + 1;
                count++;
                i = j;
            }
        }

        firstChild[count] = count;
        Array.Resize(ref firstChild, count + 1);
        Array.Resize(ref symbol, count);
        Array.Resize(ref pattern, count);
        _firstChild = firstChild;
        _symbol = symbol;
        _pattern = pattern;
        _rootLatin = new int[TextNormalizer.LatinSymbolCount + 1];
        for (var child = _firstChild[0]; child < _firstChild[1]; child++)
        {
            if (_symbol[child] <= TextNormalizer.LatinSymbolCount)
            {
                _rootLatin[_symbol[child]] = child;
            }
        }
    }

    internal int NodeCount => _symbol.Length;

    /// <summary>The pattern ending at <paramref name="node"/>, or -1.</summary>
    internal int PatternAt(int node) => _pattern[node];

    /// <summary>The child of <paramref name="node"/> along <paramref name="symbol"/>, or -1.</summary>
    internal int Step(int node, ushort symbol)
    {
        if (node == 0 && symbol <= TextNormalizer.LatinSymbolCount)
        {
            var child = _rootLatin[symbol];
            return child == 0 ? -1 : child;
        }

        var lo = _firstChild[node];
        var hi = _firstChild[node + 1];
        if (hi - lo <= LinearScanLimit)
        {
            for (var i = lo; i < hi; i++)
            {
                if (_symbol[i] == symbol)
                {
                    return i;
                }
            }

            return -1;
        }

        var index = _symbol.AsSpan(lo, hi - lo).BinarySearch(symbol);
        return index < 0 ? -1 : lo + index;
    }
}
