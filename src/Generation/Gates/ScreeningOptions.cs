namespace Compliance.Generation.Gates;

/// <summary>Time budgets of the gates (section <c>Screening</c>); a classifier over its budget counts as failed.</summary>
internal sealed class ScreeningOptions
{
    /// <summary>How long one text classifier may take on one prompt before it counts as failed.</summary>
    public TimeSpan ClassifierBudget { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long one image classifier may take on one image or frame before it counts as failed. Model inference
    /// (ResNet18 ~40 ms, faces ~30 ms each on one core) needs more room than text, especially under load.
    /// </summary>
    public TimeSpan ImageClassifierBudget { get; set; } = TimeSpan.FromSeconds(2);
}
