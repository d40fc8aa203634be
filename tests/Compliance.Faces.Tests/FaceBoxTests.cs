namespace Compliance.Faces.Tests;

public sealed class FaceBoxTests
{
    [Fact]
    public void IntersectionOverUnionIsOneForTheSameBoxZeroApartAndTheAreaShareBetween()
    {
        var box = new FaceBox(10, 20, 40, 40);

        Assert.Equal(1f, box.IntersectionOverUnion(box));
        Assert.Equal(0f, box.IntersectionOverUnion(new FaceBox(50, 20, 40, 40))); // touching edges
        Assert.Equal(0f, box.IntersectionOverUnion(new FaceBox(200, 200, 5, 5)));
        // Half of each 40×40 box overlaps: 800 / (1,600 + 1,600 − 800).
        Assert.Equal(800f / 2400f, box.IntersectionOverUnion(new FaceBox(30, 20, 40, 40)), 6);
        Assert.Equal(box.IntersectionOverUnion(new FaceBox(30, 20, 40, 40)), new FaceBox(30, 20, 40, 40).IntersectionOverUnion(box));
    }
}
