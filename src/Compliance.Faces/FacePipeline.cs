using System.Security.Cryptography;
using Compliance.Imaging.Decoding;
using Microsoft.ML.OnnxRuntime;

namespace Compliance.Faces;

/// <summary>
/// Detection → 68 landmarks → similarity alignment → embedding, plus a liveness (spoof) score and quality signals
/// for every face. One <see cref="InferenceSession"/> per model, loaded once; <see cref="Analyze"/> is thread-safe.
/// Pre- and post-processing follow faceplugin-face-recognition-js 0.0.1 (docs/models.md says where they differ).
/// </summary>
public sealed class FacePipeline : IDisposable
{
    internal const int DetectorWidth = 320;
    internal const int DetectorHeight = 240;
    internal const int LandmarkSide = 64;
    internal const int AlignedSide = 112;
    internal const int LivenessSide = 128;
    internal const int TopK = 750;

    /// <summary>The package's liveness crop: the face box scaled 2.7× about its centre (more context shows screen and paper edges).</summary>
    internal const float LivenessCropScale = 2.7f;

    /// <summary>
    /// Index of the "live" class in the liveness output. The package reports softmax[0] as its liveness result; on real
    /// colour photos class 0 dominates (astronaut.png: 0.999), which confirms it (docs/models.md).
    /// </summary>
    internal const int LiveClass = 0;

    /// <summary>Canonical 5-point template of the 112×112 aligned face (the package's REFERENCE_FACIAL_POINTS).</summary>
    internal static readonly FacePoint[] AlignmentTemplate =
    [
        new(38.29459953f, 51.69630051f),
        new(73.53179932f, 51.50139999f),
        new(56.02519989f, 71.73660278f),
        new(41.54930115f, 92.3655014f),
        new(70.72990036f, 92.20410156f),
    ];

    private readonly FaceModelOptions _options;
    private readonly InferenceSession _detector;
    private readonly InferenceSession _landmarks;
    private readonly InferenceSession _embedder;
    private readonly InferenceSession _liveness;
    private readonly InferenceSession? _deepfake;
    private readonly int _deepfakeHeight;
    private readonly int _deepfakeWidth;
    private readonly RunOptions _runOptions = new();

    /// <summary>Loads the four models.</summary>
    /// <exception cref="FileNotFoundException">A model file is missing (run <c>scripts/face-models.sh</c>).</exception>
    public FacePipeline(FaceModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.IntraOpThreads);
        _options = options;
        var paths = new[] { options.DetectorPath, options.LandmarkPath, options.EmbedderPath, options.LivenessPath }
            .Concat(options.DeepfakePath is null ? [] : [options.DeepfakePath]).ToArray();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Face model '{path}' is missing; scripts/face-models.sh fetches the default models.", path);
            }
        }

        ModelVersions = paths.Select(VersionOf).ToArray();
        Version = string.Join(' ', ModelVersions.Select(v => v.ToString())) + " " + InputRecipe;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Subnormal weights zeroed at load: the same outputs at about half the CPU per face (SubnormalWeights, ADR-026).
        InferenceSession Load(string path) => options.ZeroSubnormalWeights
            ? new InferenceSession(SubnormalWeights.Load(path, out _), sessionOptions)
            : new InferenceSession(path, sessionOptions);
        _detector = Load(options.DetectorPath);
        _landmarks = Load(options.LandmarkPath);
        _embedder = Load(options.EmbedderPath);
        _liveness = Load(options.LivenessPath);
        if (options.DeepfakePath is not null)
        {
            _deepfake = Load(options.DeepfakePath);
            var shape = _deepfake.InputMetadata[_deepfake.InputNames[0]].Dimensions;
            if (shape.Length != 4 || shape[1] != 3 || shape[2] <= 0 || shape[3] <= 0)
            {
                throw new InvalidOperationException($"Deepfake model '{options.DeepfakePath}' must take one [1,3,H,W] input; it takes [{string.Join(",", shape)}].");
            }

            (_deepfakeHeight, _deepfakeWidth) = (shape[2], shape[3]);
        }
    }

    /// <summary>Whether an operator-supplied deepfake model is loaded (its absence is reported in decisions).</summary>
    public bool HasDeepfakeModel => _deepfake is not null;

    /// <summary>
    /// How the models' inputs are drawn from an image, part of <see cref="Version"/>: <c>input:area</c> is the detector's
    /// input and the face crops drawn from pixel-area reduced levels (ADR-038). A change here moves embeddings as much
    /// as a new model file does, so it is versioned the same way (ADR-043).
    /// </summary>
    public const string InputRecipe = "input:area";

    /// <summary>Detector, landmark, embedder and liveness model, each with a short SHA-256 of its file: cite them in decisions.</summary>
    public IReadOnlyList<ModelVersion> ModelVersions { get; }

    /// <summary>
    /// The models and the input recipe as one string: what an enrolment records and a decision cites. An embedding made
    /// under another version is not compared with this pipeline's as it was stored (the face bank embeds it again).
    /// </summary>
    public string Version { get; }

    /// <summary>
    /// Finds every face and describes it; faces come in descending detection score. Geometry is in the original
    /// image's pixels: for a reduced image (<see cref="DecodedImage.IsReduced"/>) the faces are found in the reduced
    /// pixels and their boxes and landmarks scaled back, so size limits mean the same whatever the decoder did.
    /// </summary>
    public IReadOnlyList<DetectedFace> Analyze(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var source = new FaceRaster.FaceSource(image);
        var boxes = Detect(source);
        var faces = new List<DetectedFace>(boxes.Count);
        var (scaleX, scaleY) = ((float)image.SourceWidth / image.Width, (float)image.SourceHeight / image.Height);
        foreach (var (box, score) in boxes)
        {
            var face = Describe(source, box, score);
            faces.Add(image.IsReduced ? face.Scaled(scaleX, scaleY) : face);
        }

        return faces;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _detector.Dispose();
        _landmarks.Dispose();
        _embedder.Dispose();
        _liveness.Dispose();
        _deepfake?.Dispose();
        _runOptions.Dispose();
    }

    private List<(FaceBox Box, float Score)> Detect(FaceRaster.FaceSource source)
    {
        int width = source.Width, height = source.Height;
        var rgba = FaceRaster.ResizeToRgba(source.Image, DetectorWidth, DetectorHeight);
        var input = new float[3 * DetectorWidth * DetectorHeight];
        FaceRaster.ToPlanarRgb(rgba, input, 127f, 128f);

        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, DetectorHeight, DetectorWidth]);
        using var outputs = _detector.Run(_runOptions, [_detector.InputNames[0]], [inputValue], ["scores", "boxes"]);
        var scores = outputs[0].GetTensorDataAsSpan<float>();
        var corners = outputs[1].GetTensorDataAsSpan<float>();

        var candidates = new List<(float X1, float Y1, float X2, float Y2, float Score)>();
        var anchors = scores.Length / 2;
        for (var i = 0; i < anchors; i++)
        {
            var score = scores[(2 * i) + 1];
            if (score >= _options.DetectionThreshold)
            {
                // The exported graph already decodes anchors: boxes are corner form, normalised to 0–1.
                candidates.Add((corners[4 * i] * width, corners[(4 * i) + 1] * height, corners[(4 * i) + 2] * width, corners[(4 * i) + 3] * height, score));
            }
        }

        candidates.Sort((a, b) => b.Score.CompareTo(a.Score));
        if (candidates.Count > TopK)
        {
            candidates.RemoveRange(TopK, candidates.Count - TopK);
        }

        var kept = new List<(FaceBox, float)>();
        var suppressed = new bool[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            if (suppressed[i])
            {
                continue;
            }

            var c = candidates[i];
            if (c.X2 <= c.X1 || c.Y2 <= c.Y1)
            {
                continue;
            }

            for (var j = i + 1; j < candidates.Count; j++)
            {
                if (!suppressed[j] && IntersectionOverUnion(c, candidates[j]) > _options.NmsIouThreshold)
                {
                    suppressed[j] = true;
                }
            }

            kept.Add((SquareByHeight(c.X1, c.Y1, c.X2, c.Y2, width, height), c.Score));
        }

        return kept;
    }

    private DetectedFace Describe(FaceRaster.FaceSource source, FaceBox box, float detectionScore)
    {
        var landmarks = PredictLandmarks(source, box);
        var points = FivePoints(landmarks);

        var toTemplate = SimilarityTransform.Estimate(points, AlignmentTemplate);
        var aligned = FaceRaster.Warp(source, toTemplate, AlignedSide, AlignedSide);
        var embedding = Embed(aligned);

        var gray = new float[AlignedSide * AlignedSide];
        FaceRaster.ToGray(aligned, gray);
        var sharpness = FaceRaster.LaplacianVariance(gray, AlignedSide, AlignedSide);

        var spoof = 1f - LivenessProbabilities(source, box)[LiveClass];
        float? deepfake = _deepfake is null ? null : 1f - Probabilities(_deepfake, source, box, _deepfakeWidth, _deepfakeHeight)[0];
        return new DetectedFace(
            box,
            detectionScore,
            landmarks,
            points,
            embedding,
            spoof,
            new FaceQuality(box.MinSide, detectionScore, sharpness))
        {
            DeepfakeScore = deepfake,
        };
    }

    private FacePoint[] PredictLandmarks(FaceRaster.FaceSource source, FaceBox box)
    {
        var rgba = FaceRaster.Warp(source, FaceRaster.RectToTarget(box.X, box.Y, box.Width, box.Height, LandmarkSide, LandmarkSide), LandmarkSide, LandmarkSide);
        var input = new float[LandmarkSide * LandmarkSide];
        FaceRaster.ToGray(rgba, input);
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = MathF.Round(input[i]) / 256f;
        }

        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 1, LandmarkSide, LandmarkSide]);
        using var outputs = _landmarks.Run(_runOptions, [_landmarks.InputNames[0]], [inputValue], [_landmarks.OutputNames[0]]);
        var relative = outputs[0].GetTensorDataAsSpan<float>();
        var points = new FacePoint[relative.Length / 2];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = new FacePoint(box.X + (relative[2 * i] * box.Width), box.Y + (relative[(2 * i) + 1] * box.Height));
        }

        return points;
    }

    /// <summary>The package's convert68pts5pts: eye centres from the four eyelid points, nose tip, mouth corners from outer and inner lip corners.</summary>
    internal static FacePoint[] FivePoints(IReadOnlyList<FacePoint> p)
    {
        if (p.Count < 68)
        {
            throw new InvalidOperationException($"The landmark model returned {p.Count} points; 68 are required.");
        }

        static FacePoint Mean(params ReadOnlySpan<FacePoint> points)
        {
            float x = 0, y = 0;
            foreach (var point in points)
            {
                x += point.X;
                y += point.Y;
            }

            return new FacePoint(x / points.Length, y / points.Length);
        }

        return
        [
            Mean(p[37], p[38], p[40], p[41]),
            Mean(p[43], p[44], p[46], p[47]),
            p[30],
            Mean(p[48], p[60]),
            Mean(p[54], p[64]),
        ];
    }

    private float[] Embed(byte[] alignedRgba)
    {
        var input = new float[3 * AlignedSide * AlignedSide];
        FaceRaster.ToPlanarRgb(alignedRgba, input, 127f, 128f);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, AlignedSide, AlignedSide]);
        using var outputs = _embedder.Run(_runOptions, [_embedder.InputNames[0]], [inputValue], [_embedder.OutputNames[0]]);
        var embedding = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        FaceVectors.Normalize(embedding);
        return embedding;
    }

    internal float[] LivenessProbabilities(FaceRaster.FaceSource source, FaceBox box) => Probabilities(_liveness, source, box, LivenessSide, LivenessSide);

    /// <summary>Softmax of a face classifier that takes the 2.7×-scaled face crop as planar RGB 0–255 (liveness, and the deepfake slot).</summary>
    private float[] Probabilities(InferenceSession session, FaceRaster.FaceSource source, FaceBox box, int width, int height)
    {
        var crop = ScaledCrop(box, LivenessCropScale, source.Width, source.Height);
        var rgba = FaceRaster.Warp(source, FaceRaster.RectToTarget(crop.X, crop.Y, crop.Width, crop.Height, width, height), width, height);
        var input = new float[3 * width * height];
        FaceRaster.ToPlanarRgb(rgba, input, 0f, 1f);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, height, width]);
        using var outputs = session.Run(_runOptions, [session.InputNames[0]], [inputValue], [session.OutputNames[0]]);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        var max = float.MinValue;
        foreach (var l in logits)
        {
            max = MathF.Max(max, l);
        }

        var probabilities = new float[logits.Length];
        float sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = MathF.Exp(logits[i] - max);
            sum += probabilities[i];
        }

        for (var i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] /= sum;
        }

        return probabilities;
    }

    /// <summary>The package's alignLivenessImage: scale the box about its centre (no further than the image allows), then shift it inside.</summary>
    internal static FaceBox ScaledCrop(FaceBox box, float scaleValue, int imageWidth, int imageHeight)
    {
        var scale = MathF.Min((imageHeight - 1) / box.Height, MathF.Min((imageWidth - 1) / box.Width, scaleValue));
        var w = box.Width * scale;
        var h = box.Height * scale;
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height / 2);
        var left = cx - (w / 2);
        var top = cy - (h / 2);
        left = Math.Clamp(left, 0, Math.Max(0, imageWidth - 1 - w));
        top = Math.Clamp(top, 0, Math.Max(0, imageHeight - 1 - h));
        return new FaceBox(left, top, w, h);
    }

    /// <summary>The package's scaleResult: a square of the box's height about its centre, clipped to the image.</summary>
    internal static FaceBox SquareByHeight(float x1, float y1, float x2, float y2, int imageWidth, int imageHeight)
    {
        var side = y2 - y1;
        var cx = (x1 + x2) / 2;
        var cy = (y1 + y2) / 2;
        var left = MathF.Max(0, cx - (side / 2));
        var top = MathF.Max(0, cy - (side / 2));
        var right = MathF.Min(imageWidth - 1, cx + (side / 2));
        var bottom = MathF.Min(imageHeight - 1, cy + (side / 2));
        return new FaceBox(left, top, MathF.Max(1, right - left), MathF.Max(1, bottom - top));
    }

    private static float IntersectionOverUnion(
        (float X1, float Y1, float X2, float Y2, float Score) a,
        (float X1, float Y1, float X2, float Y2, float Score) b) =>
        new FaceBox(a.X1, a.Y1, a.X2 - a.X1, a.Y2 - a.Y1).IntersectionOverUnion(new FaceBox(b.X1, b.Y1, b.X2 - b.X1, b.Y2 - b.Y1));

    private static ModelVersion VersionOf(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new ModelVersion(Path.GetFileNameWithoutExtension(path), hash[..12]);
    }
}
