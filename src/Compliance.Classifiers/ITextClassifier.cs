using Compliance.Policies.Model;

namespace Compliance.Classifiers;

/// <summary>
/// A classifier over text. Implementations are thread-safe singletons. They report what they saw as
/// <see cref="Signal"/>s and throw on failure; the caller turns failures and time-outs into
/// <see cref="SignalKinds.ClassifierError"/> signals so that the policy can fail closed.
/// </summary>
public interface ITextClassifier
{
    /// <summary>Stable name, used as <see cref="Signal.Classifier"/>.</summary>
    string Name { get; }

    ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken);
}
