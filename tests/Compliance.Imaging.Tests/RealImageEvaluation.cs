using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

/// <summary>
/// PDQ distance and embedding cosine of one query against one reference, each the best over the reference's
/// 8 dihedral variants; <see cref="PlainCosine"/> is the cosine with the reference's unrotated embedding alone.
/// </summary>
internal sealed record PairScore(string Reference, string QueryImage, string Transform, int PdqDistance, bool PdqMatchable, float Cosine, float PlainCosine)
{
    public bool Genuine => Reference == QueryImage;

    public bool PdqMatches(int maxDistance) => PdqMatchable && PdqDistance <= maxDistance;
}

/// <summary>
/// Every reference of <see cref="TestImages.References"/> hashed and embedded, every transformed copy of
/// each, and the scores of every (reference, query) pair. Built once per test class (about 20 s).
/// </summary>
public sealed class RealImageEvaluation : IDisposable
{
    public const string Original = "original";

    private readonly VisualEmbedder _embedder = new();

    public RealImageEvaluation()
    {
        var decoder = new SafeImageDecoder();
        var references = new List<(string Name, PdqDihedralResult Pdq, float[][] Embeddings)>();
        var queries = new List<(string Image, string Transform, PdqResult Pdq, float[] Embedding)>();
        foreach (var name in TestImages.References)
        {
            var path = TestImages.PathOf(name);
            var decoded = decoder.DecodeFile(path);
            var embeddings = _embedder.EmbedDihedral(decoded);
            references.Add((name, PdqHasher.HashDihedral(decoded), embeddings));
            queries.Add((name, Original, PdqHasher.Hash(decoded), embeddings[0]));

            using var bitmap = ImageTransforms.Load(path);
            foreach (var transform in ImageTransforms.All)
            {
                var copy = decoder.Decode(transform.Apply(bitmap, bitmap));
                queries.Add((name, transform.Name, PdqHasher.Hash(copy), _embedder.Embed(copy)));
            }
        }

        var left = references.Single(r => r.Name == "motorcycle_left.png");
        var right = decoder.DecodeFile(TestImages.PathOf("motorcycle_right.png"));
        var rightHash = PdqHasher.Hash(right).Hash;
        var rightEmbedding = _embedder.Embed(right);
        StereoPair = new PairScore(
            left.Name, "motorcycle_right.png", Original, left.Pdq.Hashes.Min(h => h.HammingDistance(rightHash)), true,
            left.Embeddings.Max(e => VisualEmbedder.Cosine(e, rightEmbedding)), VisualEmbedder.Cosine(left.Embeddings[0], rightEmbedding));

        Pairs = [.. from r in references
                    from q in queries
                    select new PairScore(
                        r.Name,
                        q.Image,
                        q.Transform,
                        r.Pdq.Hashes.Min(h => h.HammingDistance(q.Pdq.Hash)),
                        r.Pdq.Quality >= PdqHasher.MatchableQuality && q.Pdq.IsMatchable,
                        r.Embeddings.Max(e => VisualEmbedder.Cosine(e, q.Embedding)),
                        VisualEmbedder.Cosine(r.Embeddings[0], q.Embedding))];
        ModelVersion = _embedder.ModelVersion;
    }

    internal IReadOnlyList<PairScore> Pairs { get; }

    internal string ModelVersion { get; }

    /// <summary>The two views of scikit-image's stereo pair: the same scene from 5 cm apart, a near-duplicate by any account.</summary>
    internal PairScore StereoPair { get; }

    /// <summary>Each reference against its own transformed copies (not against its untouched self).</summary>
    internal IEnumerable<PairScore> Genuine => Pairs.Where(p => p.Genuine && p.Transform != Original);

    /// <summary>Each reference against every other image and every transformed copy of it.</summary>
    internal IEnumerable<PairScore> Impostors => Pairs.Where(p => !p.Genuine);

    public void Dispose() => _embedder.Dispose();
}
