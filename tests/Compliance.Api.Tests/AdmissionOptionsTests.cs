using Compliance.Api.Screening;

namespace Compliance.Api.Tests;

/// <summary>The two upload gates' settings share one set of checks; each section names its own keys.</summary>
public sealed class AdmissionOptionsTests
{
    [Fact]
    public void TheDefaultsPassAndDifferWhereTheWorkDiffers()
    {
        var images = new ImageDecodingOptions();
        var media = new MediaProcessingOptions();
        Assert.Empty(images.Problems());
        Assert.Empty(media.Problems());
        Assert.Equal((64, TimeSpan.FromSeconds(5)), (images.QueueLimit, images.RetryAfter));
        Assert.Equal((16, TimeSpan.FromSeconds(15)), (media.QueueLimit, media.RetryAfter));
        Assert.Equal(Environment.ProcessorCount, images.MaxConcurrent);
        Assert.Equal(Environment.ProcessorCount, media.MaxConcurrent);
    }

    [Fact]
    public void EveryBadSettingIsNamedWithItsSection()
    {
        var images = new ImageDecodingOptions { MaxConcurrent = 0, QueueLimit = -1, RetryAfter = TimeSpan.Zero, MaxDecodedSide = 100 };
        var media = new MediaProcessingOptions { MaxConcurrent = 0, QueueLimit = -1, MaxQueueWait = TimeSpan.Zero };

        Assert.Equal(
            [
                "ImageDecoding:MaxConcurrent must be at least 1.",
                "ImageDecoding:QueueLimit must not be negative.",
                "ImageDecoding:MaxQueueWait must be positive and ImageDecoding:RetryAfter at least one second.",
                "ImageDecoding:MaxDecodedSide must be between 512 and 32768 pixels.",
            ],
            images.Problems());
        Assert.Equal(
            [
                "MediaProcessing:MaxConcurrent must be at least 1.",
                "MediaProcessing:QueueLimit must not be negative.",
                "MediaProcessing:MaxQueueWait must be positive and MediaProcessing:RetryAfter at least one second.",
            ],
            media.Problems());
        Assert.False(new AdmissionOptions.Validator<MediaProcessingOptions>().Validate(null, media).Succeeded);
        Assert.True(new AdmissionOptions.Validator<ImageDecodingOptions>().Validate(null, new ImageDecodingOptions()).Succeeded);
    }
}
