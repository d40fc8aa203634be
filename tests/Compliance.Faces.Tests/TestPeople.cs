using SkiaSharp;

namespace Compliance.Faces.Tests;

/// <summary>A real person in one of the test photos (tests/Compliance.Faces.Tests/README.md gives provenance).</summary>
/// <param name="Region">Where in the photo the person is, for people in group photos; null for the whole photo.</param>
public sealed record TestPerson(string Name, string File, SKRectI? Region = null)
{
    public override string ToString() => Name;
}

public static class TestPeople
{
    public static readonly TestPerson EileenCollins = new("Eileen Collins", "astronaut.png");
    public static readonly TestPerson GraceHopper = new("Grace Hopper", "grace_hopper.jpg");
    public static readonly TestPerson Cameraman = new("cameraman", "camera.png");
    public static readonly TestPerson BasketballLeft = new("basketball player (left)", "basketball1.png", new SKRectI(0, 0, 320, 480));

    public static IReadOnlyList<TestPerson> All { get; } = [EileenCollins, GraceHopper, Cameraman, BasketballLeft];

    /// <summary>The person's photo (or their region of a group photo) as an image to transform.</summary>
    public static SKImage Photo(FaceFixture fixture, TestPerson person)
    {
        var whole = PhotoTransforms.ToSkImage(fixture.Decode(person.File));
        if (person.Region is not { } region)
        {
            return whole;
        }

        using (whole)
        {
            return PhotoTransforms.Region(whole, region);
        }
    }

    /// <summary>The one face expected in an image of a single person: the most confident detection.</summary>
    public static DetectedFace? MainFace(IReadOnlyList<DetectedFace> faces) => faces.Count == 0 ? null : faces.MaxBy(f => f.DetectionScore);
}
