using System.Numerics;

namespace Compliance.Imaging.LocalFeatures;

/// <summary>
/// An approximate nearest-neighbour index over 256-bit binary descriptors: a few randomised hierarchical clustering
/// trees (the binary-descriptor index of Muja and Lowe, "Fast matching of binary features", CRV 2012). Each tree splits
/// the rows around <see cref="Branching"/> centres chosen at random among them, recursively, until at most
/// <see cref="LeafSize"/> rows remain; a lookup walks every tree greedily to the leaf whose centres are nearest and reads
/// the rows there. One tree misses a true neighbour that fell on the other side of a split; several independent trees
/// rarely all do. Immutable once built; lookups are thread-safe.
/// </summary>
/// <remarks>
/// It only proposes candidates: <see cref="LocalFeatureIndex"/> uses them to vote for references and then matches the
/// shortlisted references exactly, so a missed neighbour costs a vote, not a match. Build cost is about
/// rows × <see cref="Branching"/> × depth × <see cref="Trees"/> distances (≈ 0.2 s for 500,000 rows); a lookup reads
/// about <see cref="Trees"/> × (<see cref="Branching"/> × depth + <see cref="LeafSize"/>) descriptors.
/// </remarks>
internal sealed class DescriptorForest
{
    public const int Trees = 4;

    public const int Branching = 16;

    public const int LeafSize = 64;

    private const int Words = LocalFeatureSet.DescriptorWords;

    /// <summary>A bound on recursion for pathological banks (a balanced tree of a million rows is 4 levels deep).</summary>
    private const int MaxDepth = 24;

    private readonly ulong[] _bank;
    private readonly Node[] _roots;
    private readonly int[][] _orders;

    /// <param name="bank">Descriptors, <see cref="LocalFeatureSet.DescriptorWords"/> words per row; held, not copied.</param>
    /// <param name="rows">Rows of <paramref name="bank"/> to index.</param>
    /// <param name="seed">Seeds the choice of centres, so a bank always builds the same forest.</param>
    public DescriptorForest(ulong[] bank, int rows, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)rows * Words, bank.LongLength, nameof(rows));
        _bank = bank;
        _roots = new Node[Trees];
        _orders = new int[Trees][];
        var random = new Random(seed);
        var labels = new int[rows];
        for (var t = 0; t < Trees; t++)
        {
            var order = new int[rows];
            for (var i = 0; i < rows; i++)
            {
                order[i] = i;
            }

            _orders[t] = order;
            _roots[t] = Build(order, labels, 0, rows, random, 0);
        }
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with every row in the leaves the query descends to, one leaf per tree (a row can
    /// come up once per tree).
    /// </summary>
    public void Candidates<TVisitor>(ReadOnlySpan<ulong> query, ref TVisitor visit)
        where TVisitor : struct, IRowVisitor
    {
        ulong q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3];
        for (var t = 0; t < _roots.Length; t++)
        {
            var node = _roots[t];
            while (node.Children is { } children)
            {
                // The centres' descriptors are copied into the node: the walk reads them contiguously, not scattered over the bank.
                var centres = node.Centres!;
                int best = int.MaxValue, bestChild = 0;
                for (var c = 0; c < children.Length; c++)
                {
                    var o = c * Words;
                    var d = BitOperations.PopCount(q0 ^ centres[o]) + BitOperations.PopCount(q1 ^ centres[o + 1])
                        + BitOperations.PopCount(q2 ^ centres[o + 2]) + BitOperations.PopCount(q3 ^ centres[o + 3]);
                    if (d < best)
                    {
                        (best, bestChild) = (d, c);
                    }
                }

                node = children[bestChild];
            }

            var order = _orders[t];
            for (var i = node.Start; i < node.End; i++)
            {
                visit.Visit(order[i]);
            }
        }
    }

    /// <summary>Receives candidate rows (a struct, so the call is inlined rather than a delegate per row).</summary>
    internal interface IRowVisitor
    {
        void Visit(int row);
    }

    private int Distance(ulong q0, ulong q1, ulong q2, ulong q3, int row)
    {
        var b = row * Words;
        return BitOperations.PopCount(q0 ^ _bank[b]) + BitOperations.PopCount(q1 ^ _bank[b + 1])
            + BitOperations.PopCount(q2 ^ _bank[b + 2]) + BitOperations.PopCount(q3 ^ _bank[b + 3]);
    }

    /// <summary>Splits order[start..end) around random centres, in place (a counting sort by nearest centre), recursively.</summary>
    private Node Build(int[] order, int[] labels, int start, int end, Random random, int depth)
    {
        var count = end - start;
        if (count <= LeafSize || depth == MaxDepth)
        {
            return new Node { Start = start, End = end };
        }

        // Random distinct members as centres: a partial Fisher–Yates over the segment (which is reordered below anyway).
        var centres = new int[Branching];
        for (var c = 0; c < Branching; c++)
        {
            var pick = start + c + random.Next(count - c);
            (order[start + c], order[pick]) = (order[pick], order[start + c]);
            centres[c] = order[start + c];
        }

        var sizes = new int[Branching];
        for (var i = start; i < end; i++)
        {
            var b = order[i] * Words;
            ulong q0 = _bank[b], q1 = _bank[b + 1], q2 = _bank[b + 2], q3 = _bank[b + 3];
            int best = int.MaxValue, label = 0;
            for (var c = 0; c < Branching; c++)
            {
                var d = Distance(q0, q1, q2, q3, centres[c]);
                if (d < best)
                {
                    (best, label) = (d, c);
                }
            }

            labels[order[i]] = label;
            sizes[label]++;
        }

        // Identical descriptors cannot be split: a segment that does not split is a (large) leaf.
        if (sizes.Max() == count)
        {
            return new Node { Start = start, End = end };
        }

        var offsets = new int[Branching + 1];
        for (var c = 0; c < Branching; c++)
        {
            offsets[c + 1] = offsets[c] + sizes[c];
        }

        var sorted = new int[count];
        var next = (int[])offsets.Clone();
        for (var i = start; i < end; i++)
        {
            sorted[next[labels[order[i]]]++] = order[i];
        }

        sorted.CopyTo(order, start);
        var children = new Node[Branching];
        for (var c = 0; c < Branching; c++)
        {
            children[c] = Build(order, labels, start + offsets[c], start + offsets[c + 1], random, depth + 1);
        }

        var words = new ulong[Branching * Words];
        for (var c = 0; c < Branching; c++)
        {
            Array.Copy(_bank, centres[c] * Words, words, c * Words, Words);
        }

        return new Node { Start = start, End = end, Centres = words, Children = children };
    }

    private sealed class Node
    {
        public int Start { get; init; }

        public int End { get; init; }

        /// <summary>The children's centres, <see cref="Words"/> words each; null at a leaf.</summary>
        public ulong[]? Centres { get; init; }

        public Node[]? Children { get; init; }
    }
}
