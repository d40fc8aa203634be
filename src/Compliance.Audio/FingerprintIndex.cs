using System.Buffers;
using System.Numerics;

namespace Compliance.Audio;

/// <summary>
/// An in-memory index of reference fingerprints, matched the way AcoustID does it: an inverted index over the top bits
/// of each sub-fingerprint gives candidate references, a histogram of (reference position − query position) offsets
/// aligns them, and the bit error rate over the aligned overlap scores them. Silence is never indexed or counted, and
/// repetitive audio is scored down. Safe for concurrent searches while references are added or removed.
/// </summary>
public sealed class FingerprintIndex : IDisposable
{
    /// <summary>Chromaprint's sub-fingerprint of digital silence (and of audio too quiet to hear).</summary>
    public const uint SilenceValue = 627964279;

    private readonly MatchSettings _settings;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly List<ulong>?[] _postings;
    private readonly List<Reference?> _references = [];
    private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);

    public FingerprintIndex(MatchSettings? settings = null)
    {
        _settings = settings ?? new MatchSettings();
        if (_settings.KeyBits is < 8 or > 24)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "KeyBits must be between 8 and 24.");
        }

        _postings = new List<ulong>?[1 << _settings.KeyBits];
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _ordinals.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Adds (or replaces) the reference <paramref name="id"/>.</summary>
    public void Add(string id, IReadOnlyList<uint> fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(fingerprint);
        uint[] values = [.. fingerprint];
        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(id);
            var ordinal = _references.Count;
            _references.Add(new Reference(id, values));
            _ordinals[id] = ordinal;
            for (var position = 0; position < values.Length; position++)
            {
                if (IsSilence(values[position]))
                {
                    continue;
                }

                var key = KeyOf(values[position]);
                (_postings[key] ??= []).Add(Posting(ordinal, position));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the reference <paramref name="id"/>; a search that starts afterwards never reports it.</summary>
    public bool Remove(string id)
    {
        _lock.EnterWriteLock();
        try
        {
            return RemoveLocked(id);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The references heard in <paramref name="query"/>, best first, at most one match per reference.</summary>
    public IReadOnlyList<AudioMatch> Search(IReadOnlyList<uint> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        uint[] q = [.. query];
        _lock.EnterReadLock();
        try
        {
            var matches = new List<AudioMatch>();
            foreach (var (ordinal, offset) in Candidates(q))
            {
                var reference = _references[ordinal];
                if (reference is not null && Align(q, reference, offset) is { } match)
                {
                    var existing = matches.FindIndex(m => m.ReferenceId == match.ReferenceId);
                    if (existing < 0)
                    {
                        matches.Add(match);
                    }
                    else if (match.Score > matches[existing].Score)
                    {
                        matches[existing] = match;
                    }
                }
            }

            return [.. matches.OrderByDescending(m => m.Score).ThenBy(m => m.ReferenceId, StringComparer.Ordinal)];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>Silence and sub-fingerprints within two bits of it: quiet passages say nothing about which recording it is.</summary>
    public static bool IsSilence(uint value) => BitOperations.PopCount(value ^ SilenceValue) <= 2;

    private bool RemoveLocked(string id)
    {
        if (!_ordinals.Remove(id, out var ordinal))
        {
            return false;
        }

        // The postings stay until they are next scanned; a null reference is skipped there.
        _references[ordinal] = null;
        return true;
    }

    // Two stages, as AcoustID does: index hits are counted per reference (one array increment per posting, cheap even
    // at 100,000 references), then only the references with the most hits get an offset histogram, built from their
    // own values. Its peaks are the alignments worth scoring.
    private List<(int Ordinal, int Offset)> Candidates(uint[] query)
    {
        var keys = QueryKeys(query);
        var hits = ArrayPool<int>.Shared.Rent(_references.Count);
        try
        {
            Array.Clear(hits, 0, _references.Count);
            foreach (var (key, _) in keys)
            {
                if (_postings[key] is { } postings)
                {
                    foreach (var posting in postings)
                    {
                        hits[(int)(posting >> 32)]++;
                    }
                }
            }

            var best = new PriorityQueue<int, int>();
            for (var ordinal = 0; ordinal < _references.Count; ordinal++)
            {
                if (hits[ordinal] < _settings.MinHits || _references[ordinal] is null)
                {
                    continue;
                }

                best.Enqueue(ordinal, hits[ordinal]);
                if (best.Count > _settings.MaxCandidates)
                {
                    best.Dequeue();
                }
            }

            var candidates = new List<(int Ordinal, int Offset, int Hits)>();
            while (best.TryDequeue(out var ordinal, out _))
            {
                candidates.AddRange(OffsetPeaks(keys, ordinal));
            }

            return [.. candidates.OrderByDescending(c => c.Hits).Take(_settings.MaxCandidates).Select(c => (c.Ordinal, c.Offset))];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(hits);
        }
    }

    // Every (key, query position) to look up: each non-silent item's key and, when probing, its one-bit neighbours.
    private List<(int Key, int Position)> QueryKeys(uint[] query)
    {
        var keys = new List<(int, int)>(query.Length * (_settings.ProbeOneBitNeighbours ? _settings.KeyBits + 1 : 1));
        for (var position = 0; position < query.Length; position++)
        {
            if (IsSilence(query[position]))
            {
                continue;
            }

            var key = KeyOf(query[position]);
            keys.Add((key, position));
            if (_settings.ProbeOneBitNeighbours)
            {
                for (var bit = 0; bit < _settings.KeyBits; bit++)
                {
                    keys.Add((key ^ (1 << bit), position));
                }
            }
        }

        return keys;
    }

    // The offset histogram of one reference; its peaks (at most two, at least MinHits) are returned.
    private IEnumerable<(int Ordinal, int Offset, int Hits)> OffsetPeaks(List<(int Key, int Position)> keys, int ordinal)
    {
        var values = _references[ordinal]!.Values;
        var positionsByKey = new Dictionary<int, List<int>>();
        for (var position = 0; position < values.Length; position++)
        {
            if (!IsSilence(values[position]))
            {
                var key = KeyOf(values[position]);
                if (!positionsByKey.TryGetValue(key, out var list))
                {
                    positionsByKey[key] = list = [];
                }

                list.Add(position);
            }
        }

        var histogram = new Dictionary<int, int>();
        foreach (var (key, queryPosition) in keys)
        {
            if (positionsByKey.TryGetValue(key, out var positions))
            {
                foreach (var position in positions)
                {
                    var offset = position - queryPosition;
                    histogram[offset] = histogram.GetValueOrDefault(offset) + 1;
                }
            }
        }

        return histogram.Where(h => h.Value >= _settings.MinHits).OrderByDescending(h => h.Value).Take(2).Select(h => (ordinal, h.Key, h.Value));
    }

    // Scores the query against one reference at one offset: the matched span is the longest stretch whose sliding-window
    // bit error rate stays low, and the score is taken over that span alone, so music under a longer soundtrack (or an
    // excerpt of a longer reference) is measured where it actually plays.
    private AudioMatch? Align(uint[] query, Reference reference, int offset)
    {
        var start = Math.Max(0, -offset);
        var end = Math.Min(query.Length, reference.Values.Length - offset);
        if (end - start <= 0)
        {
            return null;
        }

        var length = end - start;
        var errors = new int[length];
        var counted = new bool[length];
        for (var i = 0; i < length; i++)
        {
            var q = query[start + i];
            var r = reference.Values[start + i + offset];
            counted[i] = !IsSilence(q) && !IsSilence(r);
            errors[i] = counted[i] ? BitOperations.PopCount(q ^ r) : 0;
        }

        var (spanStart, spanEnd) = LongestQuietSpan(errors, counted);
        var spanItems = spanEnd - spanStart;
        if (spanItems * AudioFingerprint.ItemSeconds < _settings.MinSpanSeconds)
        {
            return null;
        }

        long bitErrors = 0;
        var scoredItems = 0;
        var distinctInQuery = new HashSet<uint>();
        var distinctInReference = new HashSet<uint>();
        for (var i = spanStart; i < spanEnd; i++)
        {
            if (counted[i])
            {
                bitErrors += errors[i];
                scoredItems++;
                distinctInQuery.Add(query[start + i]);
                distinctInReference.Add(reference.Values[start + i + offset]);
            }
        }

        if (scoredItems == 0)
        {
            return null;
        }

        var bitErrorRate = bitErrors / (32.0 * scoredItems);
        // Either side being repetitive is enough: a held note in the reference lines up with any tone or sweep in a query.
        var distinctShare = Math.Min(distinctInQuery.Count, distinctInReference.Count) / (double)scoredItems;
        var repetitionFactor = Math.Min(1.0, distinctShare / _settings.MinDistinctShare);
        var score = Math.Max(0.0, 1.0 - (2.0 * bitErrorRate)) * repetitionFactor;
        if (score < _settings.MinScore)
        {
            return null;
        }

        return new AudioMatch(
            reference.Id,
            Math.Round(score, 4),
            Math.Round(bitErrorRate, 4),
            Seconds(start + spanStart),
            Seconds(start + spanEnd),
            Seconds(start + spanStart + offset),
            Seconds(start + spanEnd + offset));
    }

    // Marks each item whose centred window of counted items has a low bit error rate, and returns the longest run of
    // marked items (as [start, end) in overlap positions).
    private (int Start, int End) LongestQuietSpan(int[] errors, bool[] counted)
    {
        var length = errors.Length;
        var half = _settings.SpanWindowItems / 2;
        var errorPrefix = new long[length + 1];
        var countPrefix = new int[length + 1];
        for (var i = 0; i < length; i++)
        {
            errorPrefix[i + 1] = errorPrefix[i] + errors[i];
            countPrefix[i + 1] = countPrefix[i] + (counted[i] ? 1 : 0);
        }

        int bestStart = 0, bestEnd = 0, runStart = -1;
        for (var i = 0; i <= length; i++)
        {
            var quiet = false;
            if (i < length && counted[i])
            {
                var from = Math.Max(0, i - half);
                var to = Math.Min(length, i + half);
                var items = countPrefix[to] - countPrefix[from];
                quiet = items > 0 && (errorPrefix[to] - errorPrefix[from]) / (32.0 * items) <= _settings.SpanMaxBitErrorRate;
            }

            if (quiet && runStart < 0)
            {
                runStart = i;
            }
            else if (!quiet && runStart >= 0)
            {
                if (i - runStart > bestEnd - bestStart)
                {
                    (bestStart, bestEnd) = (runStart, i);
                }

                runStart = -1;
            }
        }

        return (bestStart, bestEnd);
    }

    private int KeyOf(uint value) => (int)(value >> (32 - _settings.KeyBits));

    private static ulong Posting(int ordinal, int position) => ((ulong)(uint)ordinal << 32) | (uint)position;

    private static double Seconds(int items) => Math.Round(items * AudioFingerprint.ItemSeconds, 2);

    private sealed record Reference(string Id, uint[] Values);
}
