using Compliance.Generation.Frames;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>Checks the <c>Video</c> section at start-up, naming every setting that is out of range.</summary>
internal sealed class VideoOptionsValidation : IValidateOptions<FrameSamplerOptions>
{
    public ValidateOptionsResult Validate(string? name, FrameSamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems.Select(p => "Video:" + p))
            : ValidateOptionsResult.Success;
    }
}
