using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Gates;

internal static partial class ClassifierLogging
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Classifier {Classifier} failed or ran out of its budget; failing closed")]
    private static partial void ClassifierFailed(ILogger logger, string classifier, Exception? exception);

    /// <summary>A classifier failure (exception) or time-out (null); the decision itself records it as a classifier_error signal.</summary>
    public static void LogClassifierFailure(this ILogger logger, string classifier, Exception? exception) => ClassifierFailed(logger, classifier, exception);
}
