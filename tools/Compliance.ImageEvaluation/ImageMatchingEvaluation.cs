using System.Diagnostics;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.ImageEvaluation;

/// <summary>Which references a row belongs to: the set the thresholds were chosen on, or the held-out one.</summary>
public enum ReferenceSet
{
    Tuning,
    HeldOut,
}

/// <summary>What the shipped policy makes of one (reference, query) pair's scores.</summary>
public enum PairOutcome
{
    None,
    Review,
    Block,
}

/// <summary>
/// One query against one reference, scored as the three image classifiers score it: PDQ (best over the reference's
/// 8 dihedral hashes of the whole image, query hashed whole and trimmed), ResNet18 cosine (trimmed query against the trimmed reference's
/// 8 dihedral embeddings), and local features (inliers of the best homography; <see cref="LocalVerified"/> when the
/// verifier reports it; <see cref="LocalInliers"/> is counted for any reference with 4+ ratio-test matches, plausible or not).
/// </summary>
public sealed record PairScore(
    string Reference, ReferenceSet Set, string QueryImage, string Transform, bool Partial, int PdqDistance, bool PdqMatchable, float Cosine,
    int LocalInliers, bool LocalVerified, PixelBox? Box)
{
    /// <summary>Whether the exact matcher (every reference matched in full, <see cref="LocalFeatureSearch.Exact"/>) verifies the pair too.</summary>
    public bool LocalVerifiedExact { get; init; }

    /// <summary>Ratio-test matches of this reference in the query (0 when fewer than 4), for diagnosing misses.</summary>
    public int LocalMatches { get; init; }

    /// <summary>The outcome had the exact matcher decided the local-feature signal.</summary>
    public PairOutcome ExactOutcome => (this with { LocalVerified = LocalVerifiedExact }).Outcome;

    public bool Genuine => Reference == QueryImage;

    public bool PdqBlocks => PdqMatchable && PdqDistance <= PdqBlockDistance;

    public bool PdqFlags => PdqMatchable && PdqDistance <= ImageMatchThresholds.PdqMaxDistance;

    public bool EmbeddingBlocks => Cosine >= ImageMatchThresholds.EmbeddingMatchCosine;

    public bool EmbeddingFlags => Cosine >= ImageMatchThresholds.EmbeddingReviewCosine;

    /// <summary>
    /// The policy's outcome for an unlicensed character: block on PDQ ≤ 24 bits, cosine ≥ 0.85 or a verified local
    /// match; review on PDQ 25–31 or cosine 0.75–0.85 (policies/15-reference-images.policy.yaml).
    /// </summary>
    public PairOutcome Outcome =>
        PdqBlocks || EmbeddingBlocks || LocalVerified ? PairOutcome.Block
        : PdqFlags || EmbeddingFlags ? PairOutcome.Review
        : PairOutcome.None;

    /// <summary>The distance above which the policy sends a PDQ match to review (weak-pdq-match-review).</summary>
    public const int PdqBlockDistance = 24;
}

/// <summary>
/// The extended image evaluation of issue 10: every reference of both sets is registered (trimmed, hashed, embedded,
/// described) as the upload endpoint does it; every reference is altered by every transform of
/// <see cref="ImageTransforms.Everything"/> (partial copies pasted into an unrelated picture); unrelated pictures are
/// screened untouched; and every query is scored against every reference. Local features are searched twice, by the
/// service's indexed search and by the exact one, in banks optionally grown with <see cref="Distractors"/>, so the two
/// can be compared pair by pair.
/// </summary>
public sealed class ImageMatchingEvaluation : IDisposable
{
    public const string Original = "original";

    private readonly VisualEmbedder _embedder = new();

    /// <param name="distractors">References added to the local-feature banks (ids from the number of real references on) that no query contains.</param>
    public ImageMatchingEvaluation(int distractors = 0)
    {
        var decoder = new SafeImageDecoder();
        var local = new LocalFeatureIndex(LocalFeatureSearch.Indexed);
        var exact = new LocalFeatureIndex(LocalFeatureSearch.Exact);
        var keypoints = new Dictionary<string, int>();
        var bank = new List<(long, LocalFeatureSet)>();
        var references = new List<(string Name, ReferenceSet Set, PdqDihedralResult Pdq, bool Matchable, float[][] Embeddings)>();
        var named = TestImages.References.Select(n => (Name: n, Set: ReferenceSet.Tuning))
            .Concat(TestImages.HeldOut.Select(n => (Name: n, Set: ReferenceSet.HeldOut)))
            .ToList();
        for (var i = 0; i < named.Count; i++)
        {
            var decoded = decoder.DecodeFile(TestImages.PathOf(named[i].Name));
            var features = ReferenceFeatures.Of(decoded, _embedder);
            references.Add((named[i].Name, named[i].Set, PdqHasher.HashDihedral(decoded), features.Pdq.IsMatchable, features.Embeddings));
            bank.Add((i, features.LocalFeatures));
            keypoints[named[i].Name] = features.LocalFeatures.Count;
        }

        for (var d = 0; d < distractors; d++)
        {
            bank.Add((named.Count + d, Distractors.Features(d)));
        }

        local.AddRange(bank);
        exact.AddRange(bank);

        var scenes = TestImages.Unrelated.Select(n => ImageTransforms.Load(TestImages.PathOf(n))).ToList();
        var queries = new List<(string Image, string Transform, bool Partial, byte[] Bytes)>();
        for (var i = 0; i < named.Count; i++)
        {
            using var bitmap = ImageTransforms.Load(TestImages.PathOf(named[i].Name));
            queries.Add((named[i].Name, Original, false, File.ReadAllBytes(TestImages.PathOf(named[i].Name))));
            foreach (var transform in ImageTransforms.Everything)
            {
                queries.Add((named[i].Name, transform.Name, transform.Partial, transform.Apply(bitmap, scenes[i % scenes.Count])));
            }
        }

        foreach (var scene in scenes)
        {
            scene.Dispose();
        }

        foreach (var name in TestImages.Unrelated)
        {
            queries.Add((name, Original, false, File.ReadAllBytes(TestImages.PathOf(name))));
        }

        var pairs = new List<PairScore>();
        var distractorHits = new List<string>();
        var watch = new Stopwatch();
        var indexedWatch = new Stopwatch();
        var exactWatch = new Stopwatch();
        foreach (var query in queries)
        {
            var image = decoder.Decode(query.Bytes);
            watch.Start();
            var whole = PdqHasher.Hash(image);
            var trimmed = BorderTrimmer.Trim(image);
            var trimmedHash = trimmed.Trimmed ? PdqHasher.Hash(trimmed.Image) : whole;
            var embedding = _embedder.Embed(trimmed.Image);
            var described = LocalFeatureExtractor.DescribeQuery(trimmed.Image);
            indexedWatch.Start();
            var found = local.Find(described);
            indexedWatch.Stop();
            watch.Stop();
            var verified = found.Where(m => m.Id < references.Count).ToDictionary(m => m.Id);
            exactWatch.Start();
            var foundExact = exact.Find(described);
            exactWatch.Stop();
            var verifiedExact = foundExact.Where(m => m.Id < references.Count).Select(m => m.Id).ToHashSet();
            distractorHits.AddRange(found.Where(m => m.Id >= references.Count).Select(m => $"indexed: distractor {m.Id - references.Count} in {query.Image} {query.Transform} ({m.Inliers} inliers)"));
            distractorHits.AddRange(foundExact.Where(m => m.Id >= references.Count).Select(m => $"exact: distractor {m.Id - references.Count} in {query.Image} {query.Transform} ({m.Inliers} inliers)"));
            // For the margin: the best homography's inliers per reference whatever its placement or inlier share.
            var inspected = local.Inspect(described).ToDictionary(c => c.Match.Id, c => c.Match);
            for (var r = 0; r < references.Count; r++)
            {
                var reference = references[r];
                var wholeDistance = reference.Pdq.Hashes.Min(h => h.HammingDistance(whole.Hash));
                var trimmedDistance = reference.Pdq.Hashes.Min(h => h.HammingDistance(trimmedHash.Hash));
                var useTrimmed = trimmedDistance < wholeDistance;
                var box = verified.TryGetValue(r, out var match)
                    ? ReferenceLocalFeatureClassifier.BoxInImage(image, trimmed.Kept, described, match.Corners)
                    : (PixelBox?)null;
                pairs.Add(new PairScore(
                    reference.Name, reference.Set, query.Image, query.Transform, query.Partial,
                    Math.Min(wholeDistance, trimmedDistance),
                    reference.Matchable && (useTrimmed ? trimmedHash.IsMatchable : whole.IsMatchable),
                    reference.Embeddings.Max(e => VisualEmbedder.Cosine(e, embedding)),
                    inspected.GetValueOrDefault(r)?.Inliers ?? 0, match is not null, box)
                {
                    LocalVerifiedExact = verifiedExact.Contains(r),
                    LocalMatches = inspected.GetValueOrDefault(r)?.Matches ?? 0,
                });
            }
        }

        Pairs = pairs;
        Queries = queries.Count;
        MillisecondsPerQuery = watch.Elapsed.TotalMilliseconds / queries.Count;
        IndexedMillisecondsPerQuery = indexedWatch.Elapsed.TotalMilliseconds / queries.Count;
        ExactMillisecondsPerQuery = exactWatch.Elapsed.TotalMilliseconds / queries.Count;
        DistractorHits = distractorHits;
        ReferenceKeypoints = keypoints;
        BankSize = references.Count + distractors;
        ModelVersion = _embedder.ModelVersion;
    }

    public IReadOnlyList<PairScore> Pairs { get; }

    public int Queries { get; }

    /// <summary>Mean time to score one query against the whole bank (PDQ twice, trim, embed, ORB, match, verify), one thread.</summary>
    public double MillisecondsPerQuery { get; }

    public string ModelVersion { get; }

    /// <summary>References in the local-feature banks: the real ones and the distractors.</summary>
    public int BankSize { get; }

    /// <summary>Mean time of the indexed local-feature search alone (matching and RANSAC) per query.</summary>
    public double IndexedMillisecondsPerQuery { get; }

    /// <summary>Mean time of the exact local-feature search alone per query.</summary>
    public double ExactMillisecondsPerQuery { get; }

    /// <summary>ORB keypoints stored per reference (at most <see cref="LocalFeatureExtractor.ReferenceFeatures"/>).</summary>
    public IReadOnlyDictionary<string, int> ReferenceKeypoints { get; }

    /// <summary>Distractors verified in some query, by either search: each is a false match.</summary>
    public IReadOnlyList<string> DistractorHits { get; }

    /// <summary>Each reference against its own altered copies (not its untouched self).</summary>
    public IEnumerable<PairScore> Genuine => Pairs.Where(p => p.Genuine && p.Transform != Original);

    /// <summary>Each reference against every other image, every altered copy of it, and every unrelated picture.</summary>
    public IEnumerable<PairScore> Impostors => Pairs.Where(p => !p.Genuine);

    public void Dispose() => _embedder.Dispose();
}
