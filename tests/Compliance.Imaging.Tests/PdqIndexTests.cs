using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

public sealed class PdqIndexTests
{
    private static readonly int[] Radii = [0, 1, 7, 15, 16, 17, 31, 32, 40];

    [Fact]
    public void MultiIndexResultsEqualLinearScanForPlantedNearDuplicatesAtEveryDistanceUpTo31()
    {
        var random = new Random(20240601);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 512);
        var queries = Enumerable.Range(0, 12).Select(_ => RandomHash(random)).ToArray();
        long nextId = 0;

        for (var i = 0; i < 20_000; i++)
        {
            AddBoth(nextId++, RandomHash(random));
        }

        foreach (var query in queries)
        {
            for (var distance = 0; distance <= 31; distance++)
            {
                AddBoth(nextId++, AtDistance(query, distance, random));
            }
        }

        foreach (var query in queries)
        {
            foreach (var radius in Radii)
            {
                var expected = linear.Query(query, radius);
                Assert.Equal(expected, mih.Query(query, radius));
                Assert.True(expected.Count >= Math.Min(radius, 31) + 1, "Every planted duplicate within the radius is there.");
            }
        }

        Assert.Equal(linear.Count, mih.Count);
        Assert.True(mih.SegmentCount > 1, "The small buffer forces sealing and merging.");

        void AddBoth(long id, PdqHash hash)
        {
            linear.Add(id, hash);
            mih.Add(id, hash);
        }
    }

    [Fact]
    public void BulkAddRangeAnswersLikeLinearScan()
    {
        var random = new Random(7);
        var hashes = Enumerable.Range(0, 30_000).Select(_ => RandomHash(random)).ToArray();
        var query = hashes[123];
        for (var d = 0; d < 32; d++)
        {
            hashes[1000 + d] = AtDistance(query, d, random);
        }

        var ids = Enumerable.Range(0, hashes.Length).Select(i => (long)(hashes.Length - i)).ToArray();
        var mih = new PdqIndex();
        mih.AddRange(ids, hashes);
        using var linear = new LinearScanIndex();
        for (var i = 0; i < ids.Length; i++)
        {
            linear.Add(ids[i], hashes[i]);
        }

        foreach (var radius in Radii)
        {
            Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
        }
    }

    [Fact]
    public void WideChunkLayoutAnswersLikeLinearScanIncludingAfterRemovals()
    {
        var random = new Random(31337);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 1024, wideLayoutThreshold: 2048);
        var queries = Enumerable.Range(0, 6).Select(_ => RandomHash(random)).ToArray();
        var hashes = new List<PdqHash>();
        for (var i = 0; i < 15_000; i++)
        {
            hashes.Add(RandomHash(random));
        }

        foreach (var query in queries)
        {
            for (var d = 0; d <= 40; d++)
            {
                hashes.Add(AtDistance(query, d, random));
            }
        }

        var ids = Enumerable.Range(0, hashes.Count).Select(i => (long)i).ToArray();
        mih.AddRange(ids[..10_000], hashes.ToArray()[..10_000]);
        for (var i = 0; i < hashes.Count; i++)
        {
            linear.Add(ids[i], hashes[i]);
            if (i >= 10_000)
            {
                mih.Add(ids[i], hashes[i]);
            }
        }

        for (long id = 0; id < hashes.Count; id += 7)
        {
            Assert.True(mih.Remove(id));
            linear.Remove(id);
        }

        foreach (var query in queries)
        {
            foreach (var radius in Radii.Append(48).Append(64))
            {
                Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
            }
        }
    }

    // One segment in the widest layout (11 chunks of 23–24 bits, 448 MB of bucket starts whatever the entry count),
    // so a single AddRange: merges would build a second one.
    [Fact]
    public void WidestChunkLayoutAnswersLikeLinearScan()
    {
        var random = new Random(2121);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 1024, wideLayoutThreshold: 2048, widestLayoutThreshold: 4096);
        var queries = Enumerable.Range(0, 8).Select(_ => RandomHash(random)).ToArray();
        var hashes = Enumerable.Range(0, 12_000).Select(_ => RandomHash(random)).ToList();
        foreach (var query in queries)
        {
            for (var d = 0; d <= 40; d++)
            {
                hashes.Add(AtDistance(query, d, random));
            }
        }

        var ids = Enumerable.Range(0, hashes.Count).Select(i => (long)i * 3).ToArray();
        mih.AddRange(ids, hashes.ToArray());
        for (var i = 0; i < hashes.Count; i++)
        {
            linear.Add(ids[i], hashes[i]);
        }

        Assert.Equal(1, mih.SegmentCount);
        foreach (var query in queries.Concat(hashes.Take(4)))
        {
            foreach (var radius in Radii.Append(48).Append(64))
            {
                Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
            }
        }
    }

    // Buckets keyed by fewer bits than the chunk, so most of a chunk's bits are the in-bucket sub-key that filters
    // candidates before their hashes are read (ADR-024): from one entry per bucket (no sub-key) to hundreds.
    [Theory]
    [InlineData(0, 4096)]
    [InlineData(3, 4096)]
    [InlineData(8, 4096)]
    [InlineData(3, int.MaxValue)]
    [InlineData(8, int.MaxValue)]
    public void BucketsWithSubKeysAnswerLikeLinearScanWithAndWithoutRemovals(int entriesPerBucketLog2, int widestThreshold)
    {
        var random = new Random(4242 + entriesPerBucketLog2);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 1 << 20, wideLayoutThreshold: 2048, widestThreshold, entriesPerBucketLog2);
        var queries = Enumerable.Range(0, 10).Select(_ => RandomHash(random)).ToArray();
        var hashes = Enumerable.Range(0, 40_000).Select(_ => RandomHash(random)).ToList();
        foreach (var query in queries)
        {
            for (var d = 0; d <= 40; d++)
            {
                hashes.Add(AtDistance(query, d, random));
                hashes.Add(AtDistance(query, d, random));
            }
        }

        // Ids out of order, so the sorting path of AddRange runs too.
        var ids = Enumerable.Range(0, hashes.Count).Select(i => (long)((i * 7919L) % hashes.Count)).ToArray();
        mih.AddRange(ids, hashes.ToArray());
        for (var i = 0; i < hashes.Count; i++)
        {
            linear.Add(ids[i], hashes[i]);
        }

        Assert.Equal(1, mih.SegmentCount);
        AssertSameAnswers();
        for (long id = 0; id < hashes.Count; id += 5)
        {
            Assert.True(mih.Remove(id));
            linear.Remove(id);
        }

        AssertSameAnswers();

        void AssertSameAnswers()
        {
            foreach (var query in queries.Concat(hashes.Take(3)))
            {
                foreach (var radius in Radii.Append(48))
                {
                    Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
                }
            }
        }
    }

    // The generalised pigeonhole behind per-chunk radii (ADR-030): for every distance and layout, the radii plus one sum to
    // more than the distance (so a hash within it is within some chunk's radius), and no chunk looks less than one bit
    // short of ⌊d/m⌋.
    [Fact]
    public void ChunkRadiiCoverEveryDistance()
    {
        Span<int> radii = stackalloc int[16];
        foreach (var layout in new[] { ChunkLayout.Narrow, ChunkLayout.Wide, ChunkLayout.Widest })
        {
            for (var distance = 0; distance <= 256; distance++)
            {
                layout.Radii(distance, radii);
                var sum = 0;
                for (var c = 0; c < layout.Count; c++)
                {
                    Assert.InRange(radii[c], (distance / layout.Count) - 1, distance / layout.Count);
                    sum += radii[c] + 1;
                }

                Assert.True(sum >= distance + 1, $"{layout.Count} chunks at distance {distance}: radii sum to {sum - layout.Count}.");
            }
        }

        ChunkLayout.Widest.Radii(31, radii);
        Assert.Equal([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1], radii[..11].ToArray());
    }

    // Buckets hold one cache line of postings; a bucket with more entries keeps the rest in its chunk's overflow array
    // (ADR-030). Hundreds of entries that share their top bits crowd a few buckets of the widest layout; planted
    // neighbours at every distance and queries at small radii (where some chunks are not probed at all) must still
    // answer like a linear scan.
    [Fact]
    public void CrowdedBucketsOverflowTheirLineAndStillAnswerLikeLinearScan()
    {
        var random = new Random(3030);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 1 << 20, wideLayoutThreshold: 2048, widestLayoutThreshold: 4096);
        var hashes = Enumerable.Range(0, 20_000).Select(_ => RandomHash(random)).ToList();
        var crowd = RandomHash(random);
        for (var i = 0; i < 600; i++)
        {
            // Same top 40 bits of every word, so every chunk's bucket is shared; the low bits vary.
            hashes.Add(new PdqHash(
                (crowd.W0 & ~0xFFFFFFUL) | (uint)random.Next(1 << 24),
                (crowd.W1 & ~0xFFFFFFUL) | (uint)random.Next(1 << 24),
                (crowd.W2 & ~0xFFFFFFUL) | (uint)random.Next(1 << 24),
                (crowd.W3 & ~0xFFFFFFUL) | (uint)random.Next(1 << 24)));
        }

        var queries = new[] { crowd, hashes[20_010], RandomHash(random) };
        foreach (var query in queries)
        {
            for (var d = 0; d <= 40; d++)
            {
                hashes.Add(AtDistance(query, d, random));
            }
        }

        var ids = Enumerable.Range(0, hashes.Count).Select(i => (long)i).ToArray();
        mih.AddRange(ids, hashes.ToArray());
        for (var i = 0; i < hashes.Count; i++)
        {
            linear.Add(ids[i], hashes[i]);
        }

        Assert.Equal(1, mih.SegmentCount);
        foreach (var query in queries)
        {
            foreach (var radius in Radii.Concat([2, 3, 5, 10, 21, 22, 30, 48]))
            {
                Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
            }
        }
    }

    [Fact]
    public void RemovedEntriesAreNotReturnedAndResultsStillEqualLinearScan()
    {
        var random = new Random(99);
        using var linear = new LinearScanIndex();
        var mih = new PdqIndex(bufferCapacity: 256);
        var query = RandomHash(random);
        for (long id = 0; id < 5_000; id++)
        {
            var hash = id % 10 == 0 ? AtDistance(query, (int)(id / 10 % 32), random) : RandomHash(random);
            linear.Add(id, hash);
            mih.Add(id, hash);
        }

        for (long id = 0; id < 5_000; id += 3)
        {
            Assert.True(mih.Remove(id));
            Assert.True(linear.Remove(id));
        }

        Assert.False(mih.Remove(0));
        Assert.Equal(linear.Count, mih.Count);
        Assert.All(mih.Query(query, 31), m => Assert.NotEqual(0, m.Id % 3));
        foreach (var radius in Radii)
        {
            Assert.Equal(linear.Query(query, radius), mih.Query(query, radius));
        }
    }

    [Fact]
    public void RemovedIdCanBeAddedAgainButALiveIdCannot()
    {
        var index = new PdqIndex(bufferCapacity: 4);
        var random = new Random(3);
        for (long id = 0; id < 20; id++)
        {
            index.Add(id, RandomHash(random));
        }

        var replacement = RandomHash(random);
        Assert.Throws<ArgumentException>(() => index.Add(5, replacement));
        Assert.True(index.Remove(5));
        index.Add(5, replacement);

        var match = Assert.Single(index.Query(replacement, 0));
        Assert.Equal(5, match.Id);
        Assert.Equal(20, index.Count);
    }

    [Fact]
    public void AddRangeRejectsRepeatedAndExistingIds()
    {
        var index = new PdqIndex();
        var random = new Random(5);
        index.Add(1, RandomHash(random));

        Assert.Throws<ArgumentException>(() => index.AddRange([2, 2], [RandomHash(random), RandomHash(random)]));
        Assert.Throws<ArgumentException>(() => index.AddRange([3, 1], [RandomHash(random), RandomHash(random)]));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public async Task QueriesRunningAlongsideAWriterAlwaysFindStableEntries()
    {
        var random = new Random(11);
        var index = new PdqIndex(bufferCapacity: 128);
        var stable = Enumerable.Range(0, 16).Select(_ => RandomHash(random)).ToArray();
        for (var i = 0; i < stable.Length; i++)
        {
            index.Add(-1 - i, stable[i]);
        }

        var writer = Task.Run(() =>
        {
            var writerRandom = new Random(12);
            for (long id = 0; id < 40_000; id++)
            {
                index.Add(id, RandomHash(writerRandom));
                if (id % 2 == 0)
                {
                    index.Remove(id / 2);
                }
            }
        });

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var failures = 0;
            while (!writer.IsCompleted)
            {
                for (var i = 0; i < stable.Length; i++)
                {
                    if (!index.Query(stable[i], 31).Any(m => m.Id == -1 - i))
                    {
                        failures++;
                    }
                }
            }

            return failures;
        })).ToArray();

        await writer.WaitAsync(TimeSpan.FromMinutes(2));
        var failures = await Task.WhenAll(readers);
        Assert.All(failures, f => Assert.Equal(0, f));
        Assert.Equal(16 + 20_000, index.Count);
    }

    [Fact]
    public void LinearScanRemoveKeepsOtherEntries()
    {
        using var index = new LinearScanIndex();
        var random = new Random(8);
        var hashes = Enumerable.Range(0, 10).Select(_ => RandomHash(random)).ToArray();
        for (var i = 0; i < hashes.Length; i++)
        {
            index.Add(i, hashes[i]);
        }

        Assert.True(index.Remove(0));

        Assert.Empty(index.Query(hashes[0], 0));
        Assert.Equal(9, Assert.Single(index.Query(hashes[9], 0)).Id);
    }

    internal static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64(), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63),
            (ulong)random.NextInt64(), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63));

    internal static PdqHash AtDistance(PdqHash hash, int distance, Random random)
    {
        var bits = Enumerable.Range(0, PdqHash.BitCount).OrderBy(_ => random.Next()).Take(distance);
        foreach (var bit in bits)
        {
            hash = hash.FlipBit(bit);
        }

        return hash;
    }
}
