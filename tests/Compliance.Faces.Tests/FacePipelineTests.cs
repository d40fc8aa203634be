using Compliance.Imaging.Decoding;

namespace Compliance.Faces.Tests;

[Collection(FaceCollection.Name)]
public sealed class FacePipelineTests(FaceFixture fixture)
{
    [Fact]
    public void FindsTheAstronautsFaceWhereItIs()
    {
        var face = Assert.Single(fixture.Analyze("astronaut.png"));

        // Eileen Collins' face in the 512×512 photo spans roughly x 170–280, y 60–175.
        Assert.InRange(face.Box.X + (face.Box.Width / 2), 200, 245);
        Assert.InRange(face.Box.Y + (face.Box.Height / 2), 100, 135);
        Assert.InRange(face.Box.Width, 90, 140);
        Assert.True(face.DetectionScore > 0.95f, $"detection score {face.DetectionScore}");
        Assert.Equal(68, face.Landmarks.Count);
        var (leftEye, rightEye, nose) = (face.AlignmentPoints[0], face.AlignmentPoints[1], face.AlignmentPoints[2]);
        Assert.True(leftEye.X < nose.X && nose.X < rightEye.X, "eyes either side of the nose");
        Assert.True(nose.Y > leftEye.Y && nose.Y > rightEye.Y, "nose below the eyes");
    }

    [Fact]
    public void EmbeddingsAreUnitLength()
    {
        var face = Assert.Single(fixture.Analyze("grace_hopper.jpg"));

        Assert.Equal(512, face.Embedding.Length);
        Assert.Equal(1f, FaceVectors.Cosine(face.Embedding, face.Embedding), 4);
        Assert.Equal(1f, MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(face.Embedding, face.Embedding)), 4);
    }

    [Fact]
    public void FindsNoFaceInAPhotoOfCoffee() => Assert.Empty(fixture.Analyze("coffee.png"));

    [Fact]
    public void ReportsASpoofScoreForEveryFace()
    {
        var faces = fixture.Analyze("basketball1.png");

        Assert.Equal(2, faces.Count);
        Assert.All(faces, f => Assert.InRange(f.SpoofScore, 0f, 1f));
        var astronaut = Assert.Single(fixture.Analyze("astronaut.png"));
        Assert.True(astronaut.SpoofScore < Enrolment.MaxSpoofScore, $"a live colour portrait scored spoof {astronaut.SpoofScore}");
    }

    [Fact]
    public void NamesEachModelWithAShortHash()
    {
        Assert.Equal(["fr_detect", "fr_landmark", "fr_feature", "fr_liveness"], fixture.Pipeline.ModelVersions.Select(v => v.Name));
        Assert.Equal("87aacdfe5751", fixture.Pipeline.ModelVersions[2].Sha256Prefix);
    }

    public static TheoryData<string> Edits() => new(PhotoTransforms.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Edits))]
    public void AnEditedCopyOfAnEnrolledFaceMatches(string edit)
    {
        using var photo = TestPeople.Photo(fixture, TestPeople.EileenCollins);
        var enrolled = Assert.IsType<EnrolmentAccepted>(Enrolment.Check(fixture.Analyze(PhotoTransforms.Png(photo)))).Face;

        var copy = TestPeople.MainFace(fixture.Analyze(PhotoTransforms.Named(edit).Apply(photo)));

        Assert.NotNull(copy);
        var cosine = FaceVectors.Cosine(enrolled.Embedding, copy.Embedding);
        Assert.True(FaceMatchThresholds.Classify(cosine) == FaceMatchVerdict.Match, $"{edit}: cosine {cosine:0.000} < Match {FaceMatchThresholds.Match}");
    }

    [Theory]
    [InlineData("grace_hopper.jpg")]
    [InlineData("camera.png")]
    [InlineData("basketball1.png")]
    public void ADifferentPersonDoesNotMatch(string other)
    {
        var enrolled = Assert.Single(fixture.Analyze("astronaut.png"));

        var faces = fixture.Analyze(other);

        Assert.NotEmpty(faces);
        Assert.All(faces, f =>
        {
            var cosine = FaceVectors.Cosine(enrolled.Embedding, f.Embedding);
            Assert.True(FaceMatchThresholds.Classify(cosine) == FaceMatchVerdict.NoMatch, $"cosine {cosine:0.000} ≥ ReviewFrom {FaceMatchThresholds.ReviewFrom}");
        });
    }

    [Fact]
    public void AnalyzeIsSafeToCallConcurrently()
    {
        var image = fixture.Decode("astronaut.png");
        var expected = Assert.Single(fixture.Pipeline.Analyze(image)).EmbeddingCopy();

        var results = new float[8][];
        Parallel.For(0, results.Length, i => results[i] = Assert.Single(fixture.Pipeline.Analyze(image)).EmbeddingCopy());

        Assert.All(results, r => Assert.Equal(1f, FaceVectors.Cosine(expected, r), 4));
    }
}

[Collection(FaceCollection.Name)]
public sealed class EnrolmentTests(FaceFixture fixture)
{
    [Fact]
    public void AcceptsAClearSingleFacePortrait()
    {
        var outcome = Enrolment.Check(fixture.Pipeline, fixture.Decoder, fixture.Bytes("astronaut.png"));

        Assert.IsType<EnrolmentAccepted>(outcome);
    }

    [Fact]
    public void RejectsAPhotoWithNoFace() => AssertRejected(Enrolment.Check(fixture.Pipeline, fixture.Decoder, fixture.Bytes("coffee.png")), EnrolmentRejectionReason.NoFace);

    [Fact]
    public void RejectsAPhotoWithTwoPeople()
    {
        var rejected = AssertRejected(Enrolment.Check(fixture.Pipeline, fixture.Decoder, fixture.Bytes("basketball1.png")), EnrolmentRejectionReason.MultipleFaces);

        Assert.Contains("2 faces", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAFaceSmallerThanTheMinimum()
    {
        using var photo = TestPeople.Photo(fixture, TestPeople.EileenCollins);
        var face = Assert.Single(fixture.Analyze(PhotoTransforms.Png(photo)));
        var factor = (Enrolment.MinFaceSize * 0.8f) / face.Quality.FaceSize;

        var outcome = Enrolment.Check(fixture.Pipeline, fixture.Decoder, PhotoTransforms.Resized(photo, factor));

        var rejected = AssertRejected(outcome, EnrolmentRejectionReason.FaceTooSmall);
        Assert.Contains($"at least {Enrolment.MinFaceSize:0}", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsACorruptFileWithTheDecodersReason()
    {
        var bytes = fixture.Bytes("astronaut.png");
        var truncated = bytes[..(bytes.Length / 3)];

        Assert.Throws<ImageRejectedException>(() => fixture.Decoder.Decode(truncated));
        var rejected = AssertRejected(Enrolment.Check(fixture.Pipeline, fixture.Decoder, truncated), EnrolmentRejectionReason.UnreadableImage);
        Assert.StartsWith("The photo could not be read", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsABlurredFace()
    {
        using var photo = TestPeople.Photo(fixture, TestPeople.EileenCollins);

        var outcome = Enrolment.Check(fixture.Pipeline, fixture.Decoder, PhotoTransforms.Blurred(photo, sigma: 3f));

        var rejected = AssertRejected(outcome, EnrolmentRejectionReason.LowQuality);
        Assert.Contains("blurred", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAFaceTheLivenessModelScoresAsSpoof()
    {
        // camera.png is a real but greyscale photo: with no colour evidence the liveness model cannot tell it from a
        // print, which is exactly what the rule refuses. No photo of a real presentation attack ships in Debian.
        var outcome = Enrolment.Check(fixture.Pipeline, fixture.Decoder, fixture.Bytes("camera.png"));

        var rejected = AssertRejected(outcome, EnrolmentRejectionReason.SpoofSuspected);
        Assert.Contains("spoof score", rejected.Message, StringComparison.Ordinal);
    }

    private static EnrolmentRejected AssertRejected(EnrolmentOutcome outcome, EnrolmentRejectionReason reason)
    {
        var rejected = Assert.IsType<EnrolmentRejected>(outcome);
        Assert.Equal(reason, rejected.Reason);
        Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
        return rejected;
    }
}
