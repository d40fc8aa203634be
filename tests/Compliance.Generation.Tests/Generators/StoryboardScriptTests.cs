using Compliance.Generation.Generators;

namespace Compliance.Generation.Tests.Generators;

public sealed class StoryboardScriptTests
{
    [Fact]
    public void EachSentenceBecomesASceneWithAnEvenShareOfTheFrames()
    {
        var scenes = StoryboardScript.Plan("A fox runs. It jumps over a log! Does it land?", frameCount: 30, maxScenes: 8);

        Assert.Equal(["A fox runs.", "It jumps over a log!", "Does it land?"], scenes.Select(s => s.Text));
        Assert.Equal([0, 10, 20], scenes.Select(s => s.FirstFrame));
        Assert.All(scenes, s => Assert.Equal(10, s.FrameCount));
    }

    [Fact]
    public void ASingleSentenceIsSplitAtItsCommas()
    {
        var scenes = StoryboardScript.Plan("a neon city, a storm of stars,  a knight on horseback", frameCount: 10, maxScenes: 8);

        Assert.Equal(["a neon city", "a storm of stars", "a knight on horseback"], scenes.Select(s => s.Text));
        Assert.Equal(10, scenes.Sum(s => s.FrameCount));
    }

    [Fact]
    public void ScenesBeyondTheLimitAreJoinedIntoTheLast()
    {
        var scenes = StoryboardScript.Plan("One. Two. Three. Four. Five.", frameCount: 12, maxScenes: 3);

        Assert.Equal(["One.", "Two.", "Three. Four. Five."], scenes.Select(s => s.Text));
    }

    [Fact]
    public void ThereAreNeverMoreScenesThanFrames()
    {
        var scenes = StoryboardScript.Plan("One. Two. Three.", frameCount: 2, maxScenes: 8);

        Assert.Equal(2, scenes.Count);
        Assert.All(scenes, s => Assert.Equal(1, s.FrameCount));
    }

    [Fact]
    public void APromptWithoutBreaksIsOneScene()
    {
        var scenes = StoryboardScript.Plan("  Captain   Comet waves  ", frameCount: 5, maxScenes: 8);

        var scene = Assert.Single(scenes);
        Assert.Equal("Captain Comet waves", scene.Text);
        Assert.Equal(5, scene.FrameCount);
    }
}
