using Compliance.Imaging.Decoding;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Images;

/// <summary>
/// A classifier over one decoded image (an upload, or a frame sampled from a video). Same contract as
/// <see cref="ITextClassifier"/>: thread-safe, reports signals, throws on failure; the caller turns
/// failures and time-outs into classifier-error signals.
/// </summary>
public interface IImageClassifier
{
    string Name { get; }

    ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken);
}
