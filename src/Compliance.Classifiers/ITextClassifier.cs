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

    /// <summary>Whether a call runs a neural model, so the gate gives it the model budget rather than the text budget.</summary>
    bool RunsModel => false;

    ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken);
}
