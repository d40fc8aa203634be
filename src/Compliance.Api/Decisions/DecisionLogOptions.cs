namespace Compliance.Api.Decisions;

/// <summary>Where the decision log's checkpoint key and checkpoint copy live, and how often a checkpoint is made.</summary>
internal sealed class DecisionLogOptions
{
    public const string Section = "DecisionLog";

    /// <summary>
    /// The ES256 (P-256) private key that signs checkpoints, PEM; created on first start. Keep it where the
    /// database's owner cannot reach it, and give every node on one database the same file. Relative
    /// paths are under the content root.
    /// </summary>
    public string SigningKeyFile { get; set; } = Path.Combine(".data", "keys", "decision-log-es256.pem");

    /// <summary>The JSON-lines copy of every checkpoint, outside the database. Relative paths are under the content root.</summary>
    public string CheckpointFile { get; set; } = Path.Combine(".data", "checkpoints", "decision-log.jsonl");

    /// <summary>How often each node checks whether the head has moved since the latest checkpoint, and signs a new one if so.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    public void ResolvePaths(string contentRoot)
    {
        SigningKeyFile = Path.GetFullPath(SigningKeyFile, contentRoot);
        CheckpointFile = Path.GetFullPath(CheckpointFile, contentRoot);
    }
}
