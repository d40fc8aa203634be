namespace Compliance.Api.Decisions;

/// <summary>Where the decision log's checkpoint key and checkpoint copy live, and how often a checkpoint is made.</summary>
internal sealed class DecisionLogOptions
{
    public const string Section = "DecisionLog";

    /// <summary>
    /// The ES256 (P-256) private key that signs checkpoints, PEM; created on first start. Keep it where the
    /// database's owner cannot reach it, and give every node on one database the same file. Default
    /// <c>{Paths:Data}/keys/decision-log-es256.pem</c>; relative paths are under <c>Paths:Data</c>.
    /// </summary>
    public string SigningKeyFile { get; set; } = Path.Combine("keys", "decision-log-es256.pem");

    /// <summary>The JSON-lines copy of every checkpoint, outside the database. Default <c>{Paths:Data}/checkpoints/decision-log.jsonl</c>.</summary>
    public string CheckpointFile { get; set; } = Path.Combine("checkpoints", "decision-log.jsonl");

    /// <summary>How often each node checks whether the head has moved since the latest checkpoint, and signs a new one if so.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    internal void ResolvePaths(Infrastructure.PathsOptions paths)
    {
        SigningKeyFile = Path.GetFullPath(SigningKeyFile, paths.Data);
        CheckpointFile = Path.GetFullPath(CheckpointFile, paths.Data);
    }
}
