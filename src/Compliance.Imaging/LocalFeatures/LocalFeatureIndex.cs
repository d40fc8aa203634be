using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace Compliance.Imaging.LocalFeatures;

/// <summary>
/// A reference found in a screened image by local features: how many keypoint matches agree on one homography, and
/// where the reference lies in the screened image.
/// </summary>
/// <param name="Id">The reference.</param>
/// <param name="Inliers">Distinct keypoint pairs consistent with the homography (RANSAC inliers).</param>
/// <param name="Matches">Keypoint pairs that passed the ratio test for this reference.</param>
/// <param name="Corners">The reference's four corners projected into the screened image (x, y pairs, in the query's described pixels).</param>
public sealed record LocalMatch(long Id, int Inliers, int Matches, float[] Corners)
{
    /// <summary>Share of the ratio-test matches that the homography explains.</summary>
    public double InlierRatio => Matches == 0 ? 0 : (double)Inliers / Matches;
}

/// <summary>
/// Finds references that appear anywhere in a screened image (whole, cropped, rotated, greyscale, padded or pasted
/// into a larger picture) by their ORB keypoints, then keeps only those whose matches agree on one plane-to-plane
/// mapping: every query descriptor is matched to its nearest reference descriptor (Hamming distance; over the whole
/// bank, or over the shortlist described below), kept if clearly nearer than the next-best alternative (Lowe's ratio test), the matches are grouped by
/// reference, and the references with enough of them are verified with a RANSAC homography. A reference is reported
/// when at least <see cref="MinInliers"/> distinct keypoint pairs and <see cref="MinInlierRatio"/> of its matches are
/// inliers and the homography maps it to a plausible, unmirrored quadrilateral.
/// </summary>
/// <remarks>
/// Banks of more than <see cref="ShortlistSize"/> references are searched in two steps (ADR-025): every query
/// descriptor looks up its approximate nearest stored descriptors in a <see cref="DescriptorForest"/> and votes for the
/// reference holding the nearest; the <see cref="ShortlistSize"/> references with most votes are then matched exactly
/// (brute-force Hamming over their keypoints), with the ratio test's alternative taken from those references and from the
/// nearest descriptor the forest found elsewhere. Cost per query is therefore about 1,500 × (a few hundred forest reads)
/// plus 1,500 × 500 × <see cref="ShortlistSize"/> distances, whatever the bank's size; the forest is rebuilt by each
/// change of the bank (<see cref="AddRange"/>, <see cref="Remove"/>) before the new snapshot is published, so readers
/// never wait for it and a writer pays for it (load a bank with one <see cref="AddRange"/>). <see cref="LocalFeatureSearch.Exact"/> matches every reference in
/// full instead (the yardstick the evaluation compares against). Readers take no lock: they read an immutable snapshot
/// that writers replace (copy on write), which suits a bank that changes rarely and is read for every frame.
/// </remarks>
/// <param name="search">How the bank is searched: <see cref="LocalFeatureSearch.Indexed"/> (the service's) or <see cref="LocalFeatureSearch.Exact"/> (for measuring it).</param>
public sealed class LocalFeatureIndex(LocalFeatureSearch search = LocalFeatureSearch.Indexed)
{
    /// <summary>A nearest descriptor farther than this (of 256 bits) is no match.</summary>
    public const int MaxHamming = 64;

    /// <summary>Lowe's ratio: the nearest descriptor must be nearer than this share of the next-best alternative.</summary>
    public const double Ratio = 0.8;

    /// <summary>RANSAC reprojection tolerance, in the query's described pixels.</summary>
    public const double ReprojectionTolerance = 6.0;

    /// <summary>Fewest distinct inlier pairs for a match (see docs/image-matching.md for the measured margin).</summary>
    public const int MinInliers = 16;

    /// <summary>Smallest share of a reference's matches that must be inliers.</summary>
    public const double MinInlierRatio = 0.25;

    /// <summary>At most this many references (those with the most matches) are verified per query.</summary>
    public const int MaxCandidates = 8;

    /// <summary>References matched in full after the forest's vote (banks of at most this many are matched in full).</summary>
    public const int ShortlistSize = 16;

    /// <summary>Alternatives (nearest descriptor per reference) remembered per query keypoint from the forest's candidates.</summary>
    private const int Alternatives = 4;

    /// <summary>Two keypoints of one reference nearer than this (in its described pixels) count as the same place for the ratio test.</summary>
    private const float SamePlaceRadius = 8f;

    private readonly Lock _write = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Number of references held.</summary>
    public int Count => _snapshot.Ids.Length;

    /// <summary>How this index searches.</summary>
    public LocalFeatureSearch Search => search;

    /// <summary>Adds or replaces one reference's features; a reference with no keypoints is held but never matches.</summary>
    public void Add(long id, LocalFeatureSet features) => AddRange([(id, features)]);

    /// <summary>
    /// Adds or replaces many references at once: one new snapshot rather than one per reference (each copies every
    /// stored descriptor, so loading a bank reference by reference costs the square of its size).
    /// </summary>
    public void AddRange(IEnumerable<(long Id, LocalFeatureSet Features)> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        // The last features given for an id win; the order of first appearance is kept (entry order breaks ties).
        var last = new Dictionary<long, LocalFeatureSet>();
        var order = new List<long>();
        foreach (var (id, features) in references)
        {
            ArgumentNullException.ThrowIfNull(features);
            if (last.TryAdd(id, features))
            {
                order.Add(id);
            }
            else
            {
                last[id] = features;
            }
        }

        if (order.Count == 0)
        {
            return;
        }

        lock (_write)
        {
            var current = _snapshot;
            var entries = current.Entries.Where(e => !last.ContainsKey(e.Id)).Concat(order.Select(id => new Entry(id, last[id]))).ToArray();
            _snapshot = Snapshot.Of(entries, search);
        }
    }

    /// <summary>Removes one reference; false if it was not held.</summary>
    public bool Remove(long id)
    {
        lock (_write)
        {
            var current = _snapshot;
            if (!current.Ids.Contains(id))
            {
                return false;
            }

            _snapshot = Snapshot.Of(current.Entries.Where(e => e.Id != id).ToArray(), search);
            return true;
        }
    }

    /// <summary>The references verified in <paramref name="query"/>, most inliers first.</summary>
    public IReadOnlyList<LocalMatch> Find(LocalFeatureSet query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var snapshot = _snapshot;
        if (snapshot.Entries.Length == 0 || query.Count == 0)
        {
            return [];
        }

        var perEntry = Match(snapshot, query, cancellationToken);
        var candidates = perEntry
            .Select((pairs, entry) => (Entry: entry, Pairs: pairs))
            .Where(c => c.Pairs is { Count: >= MinInliers })
            .OrderByDescending(c => c.Pairs!.Count)
            .Take(MaxCandidates)
            .ToList();

        var found = new List<LocalMatch>();
        foreach (var (entry, pairs) in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Fit(snapshot.Entries[entry], query, pairs!) is { Plausible: true } fit
                && fit.Match.Inliers >= MinInliers && fit.Match.InlierRatio >= MinInlierRatio)
            {
                found.Add(fit.Match);
            }
        }

        return [.. found.OrderByDescending(m => m.Inliers).ThenBy(m => m.Id)];
    }

    /// <summary>
    /// For measuring margins: every reference with at least 4 ratio-test matches, with the best homography's inliers
    /// and whether its placement is plausible, whatever the thresholds.
    /// </summary>
    internal IReadOnlyList<(LocalMatch Match, bool Plausible)> Inspect(LocalFeatureSet query)
    {
        var snapshot = _snapshot;
        if (snapshot.Entries.Length == 0 || query.Count == 0)
        {
            return [];
        }

        var perEntry = Match(snapshot, query, CancellationToken.None);
        var result = new List<(LocalMatch, bool)>();
        for (var entry = 0; entry < perEntry.Length; entry++)
        {
            if (perEntry[entry] is { Count: >= 4 } pairs && Fit(snapshot.Entries[entry], query, pairs) is { } fit)
            {
                result.Add(fit);
            }
        }

        return result;
    }

    /// <summary>
    /// The (query keypoint, reference keypoint) pairs that pass the ratio test, per entry of the snapshot: every entry
    /// matched in full for <see cref="LocalFeatureSearch.Exact"/> or a bank of at most <see cref="ShortlistSize"/>,
    /// else only the shortlisted ones (<see cref="Shortlist"/>).
    /// </summary>
    private List<(int Query, int Reference)>?[] Match(Snapshot snapshot, LocalFeatureSet query, CancellationToken cancellationToken)
    {
        if (search == LocalFeatureSearch.Exact || snapshot.Entries.Length <= ShortlistSize)
        {
            return MatchEntries(snapshot, query, [.. Enumerable.Range(0, snapshot.Entries.Length)], null, cancellationToken);
        }

        var (entries, outside) = Shortlist(snapshot, query, cancellationToken);
        return MatchEntries(snapshot, query, entries, outside, cancellationToken);
    }

    /// <summary>
    /// Each query keypoint reads its forest candidates and votes for the reference of the nearest one within
    /// <see cref="MaxHamming"/>; the <see cref="ShortlistSize"/> references with most votes (at least 2) are kept. Also
    /// returns, per query keypoint, the nearest candidate distance in a reference that was <em>not</em> kept: the ratio
    /// test's alternative from the rest of the bank (int.MaxValue when the forest saw none).
    /// </summary>
    private static (int[] Entries, int[] Outside) Shortlist(Snapshot snapshot, LocalFeatureSet query, CancellationToken cancellationToken)
    {
        var forest = snapshot.Forest!;
        var votes = new int[snapshot.Entries.Length];
        var count = query.Count;
        var nearDistance = new int[count * Alternatives];
        var nearOwner = new int[count * Alternatives];
        var visitor = new NearestOwners(snapshot.Descriptors, snapshot.Owners);
        for (var qi = 0; qi < count; qi++)
        {
            if ((qi & 127) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var descriptor = query.Descriptors.AsSpan(qi * LocalFeatureSet.DescriptorWords, LocalFeatureSet.DescriptorWords);
            visitor.Reset(descriptor);
            forest.Candidates(descriptor, ref visitor);
            visitor.CopyTo(nearDistance.AsSpan(qi * Alternatives, Alternatives), nearOwner.AsSpan(qi * Alternatives, Alternatives));
            if (nearOwner[qi * Alternatives] >= 0 && nearDistance[qi * Alternatives] <= MaxHamming)
            {
                votes[nearOwner[qi * Alternatives]]++;
            }
        }

        var kept = Enumerable.Range(0, votes.Length)
            .Where(e => votes[e] >= 2)
            .OrderByDescending(e => votes[e])
            .ThenBy(e => e)
            .Take(ShortlistSize)
            .ToArray();
        var isKept = new bool[votes.Length];
        foreach (var e in kept)
        {
            isKept[e] = true;
        }

        var outside = new int[count];
        for (var qi = 0; qi < count; qi++)
        {
            outside[qi] = int.MaxValue;
            for (var k = 0; k < Alternatives; k++)
            {
                var owner = nearOwner[(qi * Alternatives) + k];
                if (owner >= 0 && !isKept[owner])
                {
                    outside[qi] = nearDistance[(qi * Alternatives) + k];
                    break;
                }
            }
        }

        return (kept, outside);
    }

    /// <summary>
    /// Matches each query keypoint exactly against the keypoints of <paramref name="entries"/>; returns, per entry of the
    /// snapshot, the (query keypoint, reference keypoint) pairs that passed. <paramref name="outside"/>, when given, is
    /// each query keypoint's nearest distance in the rest of the bank (an alternative for the ratio test).
    /// </summary>
    private static List<(int Query, int Reference)>?[] MatchEntries(
        Snapshot snapshot, LocalFeatureSet query, int[] entries, int[]? outside, CancellationToken cancellationToken)
    {
        var perEntry = new List<(int, int)>?[snapshot.Entries.Length];
        ref var bankWords = ref MemoryMarshal.GetArrayDataReference(snapshot.Descriptors);
        var owners = snapshot.Owners;
        var q = query.Descriptors;
        for (var qi = 0; qi < query.Count; qi++)
        {
            if ((qi & 127) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var o = qi * LocalFeatureSet.DescriptorWords;
            ulong q0 = q[o], q1 = q[o + 1], q2 = q[o + 2], q3 = q[o + 3];
            int best = int.MaxValue, bestRow = -1, second = outside?[qi] ?? int.MaxValue;
            foreach (var entry in entries)
            {
                var end = snapshot.FirstRow[entry + 1];
                for (var row = snapshot.FirstRow[entry]; row < end; row++)
                {
                    var distance = DistanceBelow(q0, q1, q2, q3, ref Unsafe.Add(ref bankWords, row * LocalFeatureSet.DescriptorWords), second);
                    if (distance >= second)
                    {
                        continue;
                    }

                    if (distance < best)
                    {
                        // The old best becomes the alternative, unless it is the same place of the same reference (ORB finds
                        // one corner at several pyramid levels with near-identical descriptors; that is not ambiguity).
                        if (bestRow < 0 || !SamePlace(snapshot, bestRow, row))
                        {
                            second = best;
                        }

                        best = distance;
                        bestRow = row;
                    }
                    else if (!SamePlace(snapshot, bestRow, row))
                    {
                        second = distance;
                    }
                }
            }

            if (bestRow < 0 || best > MaxHamming || best >= Ratio * second)
            {
                continue;
            }

            var owner = owners[bestRow];
            (perEntry[owner] ??= []).Add((qi, snapshot.LocalIndex[bestRow]));
        }

        return perEntry;
    }

    /// <summary>
    /// The Hamming distance between a query descriptor (four words) and a bank row, or a value at least
    /// <paramref name="bound"/> when it is not below it: half the words first, since most rows are already no nearer
    /// than the bound after two.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DistanceBelow(ulong q0, ulong q1, ulong q2, ulong q3, ref ulong words, int bound)
    {
        var distance = BitOperations.PopCount(q0 ^ words) + BitOperations.PopCount(q1 ^ Unsafe.Add(ref words, 1));
        return distance >= bound
            ? distance
            : distance + BitOperations.PopCount(q2 ^ Unsafe.Add(ref words, 2)) + BitOperations.PopCount(q3 ^ Unsafe.Add(ref words, 3));
    }

    /// <summary>The nearest forest candidate of each of up to <see cref="Alternatives"/> references, nearest first.</summary>
    private struct NearestOwners(ulong[] bank, int[] owners) : DescriptorForest.IRowVisitor
    {
        private ulong _q0, _q1, _q2, _q3;
        private int _d0, _d1, _d2, _d3;
        private int _o0, _o1, _o2, _o3;

        public void Reset(ReadOnlySpan<ulong> descriptor)
        {
            (_q0, _q1, _q2, _q3) = (descriptor[0], descriptor[1], descriptor[2], descriptor[3]);
            (_d0, _d1, _d2, _d3) = (int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
            (_o0, _o1, _o2, _o3) = (-1, -1, -1, -1);
        }

        public void Visit(int row)
        {
            // No entry of the list can improve on a distance at or beyond its last one (the list is sorted).
            var d = DistanceBelow(_q0, _q1, _q2, _q3, ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(bank), row * LocalFeatureSet.DescriptorWords), _d3);
            if (d >= _d3)
            {
                return;
            }

            Span<int> distances = [_d0, _d1, _d2, _d3];
            Span<int> owned = [_o0, _o1, _o2, _o3];
            var owner = owners[row];
            var at = owned.IndexOf(owner);
            if (at >= 0)
            {
                if (d >= distances[at])
                {
                    return;
                }
            }
            else
            {
                if (d >= distances[Alternatives - 1])
                {
                    return;
                }

                at = Alternatives - 1;
            }

            // Insert (owner, d) at its place, dropping the old entry at `at`.
            var i = at;
            while (i > 0 && distances[i - 1] > d)
            {
                distances[i] = distances[i - 1];
                owned[i] = owned[i - 1];
                i--;
            }

            distances[i] = d;
            owned[i] = owner;
            (_d0, _d1, _d2, _d3) = (distances[0], distances[1], distances[2], distances[3]);
            (_o0, _o1, _o2, _o3) = (owned[0], owned[1], owned[2], owned[3]);
        }

        public readonly void CopyTo(Span<int> distances, Span<int> owned)
        {
            (distances[0], distances[1], distances[2], distances[3]) = (_d0, _d1, _d2, _d3);
            (owned[0], owned[1], owned[2], owned[3]) = (_o0, _o1, _o2, _o3);
        }
    }

    private static bool SamePlace(Snapshot snapshot, int rowA, int rowB)
    {
        if (snapshot.Owners[rowA] != snapshot.Owners[rowB])
        {
            return false;
        }

        var points = snapshot.Entries[snapshot.Owners[rowA]].Features.Points;
        int a = snapshot.LocalIndex[rowA], b = snapshot.LocalIndex[rowB];
        var dx = points[2 * a] - points[2 * b];
        var dy = points[(2 * a) + 1] - points[(2 * b) + 1];
        return (dx * dx) + (dy * dy) < SamePlaceRadius * SamePlaceRadius;
    }

    private static (LocalMatch Match, bool Plausible)? Fit(Entry entry, LocalFeatureSet query, List<(int Query, int Reference)> pairs)
    {
        var referencePoints = entry.Features.Points;
        var source = pairs.Select(p => new Point2d(referencePoints[2 * p.Reference], referencePoints[(2 * p.Reference) + 1])).ToArray();
        var target = pairs.Select(p => new Point2d(query.Points[2 * p.Query], query.Points[(2 * p.Query) + 1])).ToArray();
        using var mask = new Mat();
        using var homography = Cv2.FindHomography(source, target, HomographyMethods.Ransac, ReprojectionTolerance, mask, maxIters: 2000, confidence: 0.995);
        if (homography.Empty() || mask.Rows != pairs.Count)
        {
            return null;
        }

        var queryInliers = new HashSet<int>();
        var referenceInliers = new HashSet<int>();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (mask.At<byte>(i) != 0)
            {
                queryInliers.Add(pairs[i].Query);
                referenceInliers.Add(pairs[i].Reference);
            }
        }

        var inliers = Math.Min(queryInliers.Count, referenceInliers.Count);
        var corners = Project(homography, entry.Features.Width, entry.Features.Height);
        return (new LocalMatch(entry.Id, inliers, pairs.Count, corners), Plausible(corners, entry.Features, query));
    }

    private static float[] Project(Mat homography, int width, int height)
    {
        var h = new double[9];
        for (var i = 0; i < 9; i++)
        {
            h[i] = homography.At<double>(i / 3, i % 3);
        }

        (double X, double Y)[] corners = [(0, 0), (width, 0), (width, height), (0, height)];
        var projected = new float[8];
        for (var i = 0; i < 4; i++)
        {
            var (x, y) = corners[i];
            var w = (h[6] * x) + (h[7] * y) + h[8];
            projected[2 * i] = w == 0 ? float.NaN : (float)(((h[0] * x) + (h[1] * y) + h[2]) / w);
            projected[(2 * i) + 1] = w == 0 ? float.NaN : (float)(((h[3] * x) + (h[4] * y) + h[5]) / w);
        }

        return projected;
    }

    /// <summary>
    /// A real copy maps the reference's rectangle to a convex, unmirrored quadrilateral of sensible size and shape;
    /// a homography fitted to chance matches usually folds, flips, or collapses it.
    /// </summary>
    private static bool Plausible(float[] corners, LocalFeatureSet reference, LocalFeatureSet query)
    {
        if (corners.Any(v => !float.IsFinite(v)))
        {
            return false;
        }

        // Every turn the same way (convex) and clockwise in image coordinates, like the reference's own corners (not mirrored).
        for (var i = 0; i < 4; i++)
        {
            var (ax, ay) = (corners[2 * i], corners[(2 * i) + 1]);
            var (bx, by) = (corners[2 * ((i + 1) % 4)], corners[(2 * ((i + 1) % 4)) + 1]);
            var (cx, cy) = (corners[2 * ((i + 2) % 4)], corners[(2 * ((i + 2) % 4)) + 1]);
            if (((bx - ax) * (cy - by)) - ((by - ay) * (cx - bx)) <= 0)
            {
                return false;
            }
        }

        var area = Math.Abs(Shoelace(corners));
        var queryArea = (double)query.Width * query.Height;
        var referenceArea = (double)reference.Width * reference.Height;
        // At least 1 % of the screened image, and within the scales ORB's pyramid can match (with room for a crop).
        if (area < 0.01 * queryArea || area < referenceArea / 25 || area > referenceArea * 25)
        {
            return false;
        }

        // Opposite sides of a rectangle seen by a camera or pasted flat stay within a factor of 3 of each other.
        var sides = Enumerable.Range(0, 4).Select(i => Distance(corners, i, (i + 1) % 4)).ToArray();
        return sides.Min() > 0 && sides[0] / sides[2] is > 1 / 3.0 and < 3.0 && sides[1] / sides[3] is > 1 / 3.0 and < 3.0;
    }

    private static double Shoelace(float[] c)
    {
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var j = (i + 1) % 4;
            sum += ((double)c[2 * i] * c[(2 * j) + 1]) - ((double)c[2 * j] * c[(2 * i) + 1]);
        }

        return sum / 2;
    }

    private static double Distance(float[] c, int i, int j) =>
        Math.Sqrt(Math.Pow(c[2 * i] - c[2 * j], 2) + Math.Pow(c[(2 * i) + 1] - c[(2 * j) + 1], 2));

    private sealed record Entry(long Id, LocalFeatureSet Features);

    /// <summary>Every stored descriptor in one array, with the entry and keypoint each row belongs to.</summary>
    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = Of([], LocalFeatureSearch.Exact);

        public required Entry[] Entries { get; init; }

        public required long[] Ids { get; init; }

        public required ulong[] Descriptors { get; init; }

        public required int[] Owners { get; init; }

        public required int[] LocalIndex { get; init; }

        /// <summary>The first row of each entry (and, last, the number of rows): an entry's rows are contiguous.</summary>
        public required int[] FirstRow { get; init; }

        /// <summary>
        /// Built by the writer, before the snapshot is published, so no screened frame waits for it (a build takes seconds
        /// for 1,000 references on a loaded node); null when the bank is matched in full anyway.
        /// </summary>
        public required DescriptorForest? Forest { get; init; }

        public static Snapshot Of(Entry[] entries, LocalFeatureSearch search)
        {
            var rows = entries.Sum(e => e.Features.Count);
            var descriptors = new ulong[rows * LocalFeatureSet.DescriptorWords];
            var owners = new int[rows];
            var local = new int[rows];
            var first = new int[entries.Length + 1];
            var row = 0;
            for (var e = 0; e < entries.Length; e++)
            {
                first[e] = row;
                var features = entries[e].Features;
                features.Descriptors.CopyTo(descriptors, row * LocalFeatureSet.DescriptorWords);
                for (var k = 0; k < features.Count; k++, row++)
                {
                    owners[row] = e;
                    local[row] = k;
                }
            }

            first[entries.Length] = rows;
            return new Snapshot
            {
                Entries = entries,
                Ids = [.. entries.Select(e => e.Id)],
                Descriptors = descriptors,
                Owners = owners,
                LocalIndex = local,
                FirstRow = first,
                Forest = search == LocalFeatureSearch.Indexed && entries.Length > ShortlistSize ? new DescriptorForest(descriptors, rows) : null,
            };
        }
    }
}

/// <summary>How <see cref="LocalFeatureIndex"/> searches its bank.</summary>
public enum LocalFeatureSearch
{
    /// <summary>A descriptor forest shortlists <see cref="LocalFeatureIndex.ShortlistSize"/> references, which are matched exactly (the service's).</summary>
    Indexed,

    /// <summary>Every reference matched in full, brute force: the yardstick for measuring <see cref="Indexed"/>.</summary>
    Exact,
}
