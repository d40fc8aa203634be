namespace Compliance.Audio.Tests;

/// <summary>The matcher on synthetic fingerprints, where the truth is known exactly.</summary>
public sealed class FingerprintIndexTests
{
    private static uint[] RandomFingerprint(Random random, int items) =>
        [.. Enumerable.Range(0, items).Select(_ => (uint)random.NextInt64(0, 1L << 32))];

    // Flips each bit with the given probability: what re-encoding and noise do to a sub-fingerprint.
    private static uint[] WithBitErrors(Random random, IEnumerable<uint> values, double rate) =>
        [.. values.Select(v =>
        {
            for (var bit = 0; bit < 32; bit++)
            {
                if (random.NextDouble() < rate)
                {
                    v ^= 1u << bit;
                }
            }

            return v;
        })];

    [Fact]
    public void ExcerptWithBitErrorsIsFoundWithItsSpanInQueryAndReference()
    {
        var random = new Random(7);
        using var index = new FingerprintIndex();
        var reference = RandomFingerprint(random, 1500);
        index.Add("target", reference);
        for (var i = 0; i < 200; i++)
        {
            index.Add($"other-{i}", RandomFingerprint(random, 1500));
        }

        // 20 s of unrelated audio, then 20 s of the reference from item 600 on (74.3 s), then 10 s unrelated again.
        uint[] query = [.. RandomFingerprint(random, 162), .. WithBitErrors(random, reference.Skip(600).Take(162), 0.15), .. RandomFingerprint(random, 81)];

        var match = Assert.Single(index.Search(query));

        Assert.Equal("target", match.ReferenceId);
        Assert.InRange(match.BitErrorRate, 0.12, 0.18);
        Assert.InRange(match.Score, 0.64, 0.76);
        Assert.InRange(match.QueryStartSeconds, 20.06 - 1.5, 20.06 + 1.5);
        Assert.InRange(match.QueryEndSeconds, 40.12 - 1.5, 40.12 + 1.5);
        Assert.InRange(match.ReferenceStartSeconds, 74.3 - 1.5, 74.3 + 1.5);
        Assert.InRange(match.ReferenceEndSeconds - match.ReferenceStartSeconds, match.DurationSeconds - 0.01, match.DurationSeconds + 0.01);
    }

    [Fact]
    public void UnrelatedAudioMatchesNothing()
    {
        var random = new Random(11);
        using var index = new FingerprintIndex();
        for (var i = 0; i < 500; i++)
        {
            index.Add($"ref-{i}", RandomFingerprint(random, 800));
        }

        for (var q = 0; q < 50; q++)
        {
            Assert.Empty(index.Search(RandomFingerprint(random, 250)));
        }
    }

    [Fact]
    public void SilenceIsNeitherIndexedNorMatched()
    {
        using var index = new FingerprintIndex();
        var random = new Random(3);
        uint[] reference = [.. Enumerable.Repeat(FingerprintIndex.SilenceValue, 400), .. RandomFingerprint(random, 400)];
        index.Add("with-silent-intro", reference);

        Assert.Empty(index.Search([.. Enumerable.Repeat(FingerprintIndex.SilenceValue, 400)]));
        Assert.Empty(index.Search([.. Enumerable.Repeat(FingerprintIndex.SilenceValue ^ 0b101, 400)]));
    }

    [Fact]
    public void RepetitiveAudioIsScoredDownBelowTheReportingFloor()
    {
        using var index = new FingerprintIndex();
        var random = new Random(5);

        // A held tone: two values alternating. It aligns perfectly with itself, which proves nothing about a recording.
        uint[] tone = [.. Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? 0x12345678u : 0x12345679u)];
        index.Add("tone", tone);
        index.Add("music", RandomFingerprint(random, 400));

        Assert.Empty(index.Search(tone));
    }

    [Fact]
    public void RemovedReferenceIsNoLongerReportedAndReAddingReplacesIt()
    {
        var random = new Random(13);
        using var index = new FingerprintIndex();
        var first = RandomFingerprint(random, 300);
        var second = RandomFingerprint(random, 300);
        index.Add("work", first);

        Assert.Single(index.Search(first));
        Assert.True(index.Remove("work"));
        Assert.Empty(index.Search(first));

        index.Add("work", second);
        Assert.Empty(index.Search(first));
        Assert.Equal("work", Assert.Single(index.Search(second)).ReferenceId);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public async Task SearchesRunSafelyWhileReferencesAreAdded()
    {
        var random = new Random(17);
        using var index = new FingerprintIndex();
        var target = RandomFingerprint(random, 600);
        index.Add("target", target);
        var others = Enumerable.Range(0, 400).Select(_ => RandomFingerprint(random, 300)).ToArray();
        var query = target.Skip(100).Take(200).ToArray();

        var writer = Task.Run(() =>
        {
            for (var i = 0; i < others.Length; i++)
            {
                index.Add($"other-{i}", others[i]);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var found = 0;
            while (!writer.IsCompleted)
            {
                found += index.Search(query).Count(m => m.ReferenceId == "target");
            }

            return found + index.Search(query).Count(m => m.ReferenceId == "target");
        })).ToArray();

        await writer;
        var results = await Task.WhenAll(readers);

        Assert.All(results, found => Assert.True(found >= 1));
        Assert.Equal(401, index.Count);
        Assert.Equal("target", Assert.Single(index.Search(query)).ReferenceId);
    }
}
