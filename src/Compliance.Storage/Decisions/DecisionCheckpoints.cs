using Npgsql;

namespace Compliance.Storage.Decisions;

/// <summary>Why a checkpoint was or was not made.</summary>
public enum CheckpointStatus
{
    Created,

    /// <summary>The head has not moved since the latest trusted checkpoint (interval runs only).</summary>
    Unchanged,

    /// <summary>Another node is making one right now (interval runs only).</summary>
    Busy,

    /// <summary>The log has no entries to vouch for.</summary>
    Empty,

    /// <summary>The chain does not verify from the latest trusted checkpoint to the head: nothing is signed.</summary>
    ChainBroken,
}

/// <summary>The outcome of asking for a checkpoint: the checkpoint, or why there is none.</summary>
public sealed record CheckpointResult(CheckpointStatus Status, Checkpoint? Checkpoint, ChainVerification? Failure, long? LastTrustedSeq);

/// <summary>An anchor checked by verification: who vouched, for which entry, and whether the log still matches.</summary>
public sealed record AnchorCheck(string Source, long Sequence, string HeadSha256, DateTimeOffset? CreatedAt, bool Matched);

/// <summary>
/// The chain re-walked and held against its anchors: the latest checkpoint in the database, the latest
/// in the file, and any head the caller supplied. <see cref="LastTrustedSeq"/> is the highest entry
/// that an anchor proves unaltered (with every entry before it); null when no anchor proves anything.
/// </summary>
public sealed record AnchoredVerification(
    bool Intact,
    ChainVerification Chain,
    long? FirstBadSeq,
    Guid? FirstBadId,
    Guid? FirstBadTenantId,
    ChainBreak Break,
    string? Problem,
    long? LastTrustedSeq,
    IReadOnlyList<AnchorCheck> Anchors,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Signed checkpoints of the decision log's head (ADR-001). A checkpoint is made only after the chain
/// has been re-walked from the previous trusted checkpoint to the head, so a tampered tail is never
/// signed; it is written to the file outside the database first and then to the database, and handed
/// back to the caller to keep. Verification holds the whole chain against the latest trusted
/// checkpoints and any head an auditor supplies, which catches the tail being cut off or rewritten
/// with recomputed hashes: things the chain alone cannot show.
/// </summary>
public sealed class DecisionCheckpoints(NpgsqlDataSource dataSource, DecisionLog log, CheckpointSigner signer, CheckpointFile file, TimeProvider clock)
{
    private const long CheckpointLockKey = 0x436865636b707473; // "Checkpts"

    /// <summary>How far this node has read the checkpoint file, and the latest genuine checkpoint in it so far.</summary>
    private volatile FileTail _fileTail = new(0, null);

    public string KeyId => signer.KeyId;

    public string PublicKeyPem => signer.PublicKeyPem;

    /// <summary>
    /// Makes a checkpoint of the current head. With <paramref name="onlyIfHeadMoved"/> (the interval run)
    /// nothing is made when the head is where the latest trusted checkpoint left it, or when another
    /// node is already at it; on demand a fresh one is always made (a new time for the same head).
    /// </summary>
    public async Task<CheckpointResult> CreateAsync(bool onlyIfHeadMoved, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // One checkpointer at a time across nodes; interval runs step aside rather than queue.
        await using (var lockCmd = new NpgsqlCommand(onlyIfHeadMoved ? "select pg_try_advisory_xact_lock($1)" : "select pg_advisory_xact_lock($1)", conn, tx))
        {
            lockCmd.Parameters.Add(new() { Value = CheckpointLockKey });
            var locked = await lockCmd.ExecuteScalarAsync(ct);
            if (onlyIfHeadMoved && !(bool)locked!)
            {
                return new CheckpointResult(CheckpointStatus.Busy, null, null, null);
            }
        }

        var latest = await LatestTrustedAsync(conn, tx, ct);
        var head = await log.HeadSeqAsync(ct);
        if (head == 0 && latest is null)
        {
            return new CheckpointResult(CheckpointStatus.Empty, null, null, null);
        }

        if (onlyIfHeadMoved && latest is not null && head == latest.Sequence)
        {
            return new CheckpointResult(CheckpointStatus.Unchanged, latest, null, latest.Sequence);
        }

        // Only what has been re-checked since the last checkpoint is signed.
        var walk = await log.WalkAsync(latest is null ? null : Anchor(latest, "latest checkpoint"), [], null, ct);
        if (!walk.Intact)
        {
            return new CheckpointResult(CheckpointStatus.ChainBroken, null, walk, latest?.Sequence);
        }

        // The walk is contiguous from the genesis (directly, or through the checkpoint it started from),
        // so the entry count is the head's sequence number.
        var checkpoint = signer.Sign(walk.LastSeq, walk.LastSha256, walk.LastSeq, clock.GetUtcNow());
        // The copy outside the database first: a checkpoint never exists only where its vouchee lives.
        await file.AppendAsync(checkpoint, ct);
        await using (var insert = new NpgsqlCommand(
            "insert into decision_checkpoints (seq, head_sha256, entry_count, created_at, key_id, signature) values ($1, $2, $3, $4, $5, $6)", conn, tx))
        {
            insert.Parameters.Add(new() { Value = checkpoint.Sequence });
            insert.Parameters.Add(new() { Value = walk.LastSha256 });
            insert.Parameters.Add(new() { Value = checkpoint.EntryCount });
            insert.Parameters.Add(new() { Value = checkpoint.CreatedAt });
            insert.Parameters.Add(new() { Value = checkpoint.KeyId });
            insert.Parameters.Add(new() { Value = Convert.FromBase64String(checkpoint.Signature) });
            await insert.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return new CheckpointResult(CheckpointStatus.Created, checkpoint, null, checkpoint.Sequence);
    }

    /// <summary>Checkpoints as stored in the database, newest first, keyset-paginated on their row id (signatures not checked here).</summary>
    public async Task<(IReadOnlyList<Checkpoint> Items, long? NextCursor)> ListAsync(int limit, long? cursor, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await ReadStoredAsync(conn, null, cursor, limit + 1, ct);
        return rows.Count > limit ? (rows.Take(limit).Select(r => r.Checkpoint).ToList(), rows[limit - 1].Id) : (rows.Select(r => r.Checkpoint).ToList(), null);
    }

    /// <summary>Whether this service signed <paramref name="checkpoint"/> (a checkpoint an auditor kept and brings back).</summary>
    public bool IsGenuine(Checkpoint checkpoint) => signer.Verify(checkpoint);

    /// <summary>
    /// Re-walks the whole chain and holds it against the latest trusted checkpoint in the database, the
    /// latest in the file, and <paramref name="supplied"/> (heads an auditor kept). Counts the entries
    /// of <paramref name="countTenant"/> on the way.
    /// </summary>
    public async Task<AnchoredVerification> VerifyAsync(IReadOnlyList<ChainAnchor> supplied, Guid? countTenant, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(supplied);
        var warnings = new List<string>();
        var (inFile, unreadable) = await file.ReadAllAsync(ct);
        if (unreadable > 0)
        {
            warnings.Add($"{unreadable} line(s) of the checkpoint file {file.Path} could not be read as checkpoints.");
        }

        List<Checkpoint> inDatabase;
        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        {
            inDatabase = [.. (await ReadStoredAsync(conn, null, null, int.MaxValue, ct)).Select(r => r.Checkpoint)];
        }

        var fromDatabase = LatestGenuine(inDatabase, "database", warnings);
        var fromFile = LatestGenuine(inFile, "file", warnings);
        var stored = inDatabase.Select(c => c.Signature).ToHashSet();
        var missing = inFile.Where(c => c.Sequence >= (fromDatabase?.Sequence ?? 0) && !stored.Contains(c.Signature) && signer.Verify(c)).ToList();
        if (missing.Count > 0)
        {
            warnings.Add($"{missing.Count} signed checkpoint(s) in the file are missing from the database (the latest vouches for entry {missing.Max(c => c.Sequence)}): checkpoint rows were deleted.");
        }

        var anchors = new List<(ChainAnchor Anchor, DateTimeOffset? At)>();
        if (fromDatabase is not null)
        {
            anchors.Add((Anchor(fromDatabase, fromFile == fromDatabase ? "checkpoint in the database and the file" : "checkpoint in the database"), fromDatabase.CreatedAt));
        }

        if (fromFile is not null && fromFile != fromDatabase)
        {
            anchors.Add((Anchor(fromFile, "checkpoint in the file"), fromFile.CreatedAt));
        }

        anchors.AddRange(supplied.Select(a => (a, (DateTimeOffset?)null)));
        if (anchors.Count == 0)
        {
            warnings.Add("No checkpoint yet: entries at the end of the log could be deleted or rewritten without a trace until one is made.");
        }

        var chain = await log.WalkAsync(null, anchors.Select(a => a.Anchor.Seq).ToHashSet(), countTenant, ct);
        var checks = anchors.Select(a => new AnchorCheck(
            a.Anchor.Source, a.Anchor.Seq, Convert.ToHexStringLower(a.Anchor.HeadSha256), a.At,
            chain.Watched.TryGetValue(a.Anchor.Seq, out var seen) && seen.EntrySha256.AsSpan().SequenceEqual(a.Anchor.HeadSha256))).ToList();
        var failed = checks.Where(c => !c.Matched).MinBy(c => c.Sequence);
        var lastTrusted = checks.Where(c => c.Matched).Select(c => (long?)c.Sequence).Max();
        if (failed is not null)
        {
            // Only what lies below the first failure can still be proven; search the older checkpoints for the highest that holds.
            var bound = Math.Min(failed.Sequence, chain.FirstBadSeq ?? long.MaxValue);
            var older = await HighestHoldingAsync(inDatabase.Concat(inFile), Math.Min(bound - 1, chain.LastSeq), ct);
            lastTrusted = new[] { older, checks.Where(c => c.Matched && c.Sequence < bound).Select(c => (long?)c.Sequence).Max() }.Max();
        }

        if (!chain.Intact)
        {
            return new AnchoredVerification(false, chain, chain.FirstBadSeq, chain.FirstBadId, chain.FirstBadTenantId, chain.Break, chain.Problem, lastTrusted, checks, warnings);
        }

        if (failed is null)
        {
            return new AnchoredVerification(true, chain, null, null, null, ChainBreak.None, null, lastTrusted, checks, warnings);
        }

        var trusted = lastTrusted is { } t ? $"entries up to {t} are proven by an older checkpoint" : "no checkpoint proves any entry";
        if (failed.Sequence > chain.LastSeq)
        {
            return new AnchoredVerification(false, chain, chain.LastSeq + 1, null, null, ChainBreak.Truncated,
                $"the log ends at entry {chain.LastSeq}, but the {failed.Source} vouches for entry {failed.Sequence}: entries {chain.LastSeq + 1}..{failed.Sequence} were deleted (tail truncated); {trusted}",
                lastTrusted, checks, warnings);
        }

        var rewritten = chain.Watched[failed.Sequence];
        return new AnchoredVerification(false, chain, failed.Sequence, rewritten.Id, rewritten.TenantId, ChainBreak.Rewritten,
            $"entry {failed.Sequence} does not have the head hash the {failed.Source} vouches for: entries up to it were rewritten and their hashes recomputed; {trusted}",
            lastTrusted, checks, warnings);
    }

    private static ChainAnchor Anchor(Checkpoint c, string source) => new(c.Sequence, c.HeadBytes()!, source);

    /// <summary>The newest checkpoint this service signed, noting any newer row whose signature fails or names another key.</summary>
    private Checkpoint? LatestGenuine(IEnumerable<Checkpoint> checkpoints, string where, List<string> warnings)
    {
        int forged = 0, foreign = 0;
        Checkpoint? genuine = null;
        foreach (var c in checkpoints.OrderByDescending(c => c.Sequence).ThenByDescending(c => c.CreatedAt))
        {
            if (signer.Verify(c))
            {
                genuine = c;
                break;
            }

            if (c.KeyId == signer.KeyId)
            {
                forged++;
            }
            else
            {
                foreign++;
            }
        }

        if (forged > 0)
        {
            warnings.Add($"{forged} checkpoint(s) in the {where} carry this service's key id but a signature that does not verify: forged, and ignored.");
        }

        if (foreign > 0)
        {
            warnings.Add($"{foreign} checkpoint(s) in the {where} were signed by a key this service does not hold (an old key, or forged), and are ignored.");
        }

        return genuine;
    }

    /// <summary>
    /// The highest genuine checkpoint at or below <paramref name="atMost"/> that the log still matches.
    /// Matching is monotone along an intact chain (a head hash commits to everything before it), so a
    /// binary search needs only a few signature checks and lookups however many checkpoints there are.
    /// </summary>
    private async Task<long?> HighestHoldingAsync(IEnumerable<Checkpoint> candidates, long atMost, CancellationToken ct)
    {
        var list = candidates.Where(c => c.Sequence <= atMost).DistinctBy(c => c.Signature).OrderBy(c => c.Sequence).ToList();
        long? best = null;
        int lo = 0, hi = list.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var c = list[mid];
            if (!signer.Verify(c))
            {
                list.RemoveAt(mid);
                hi--;
                continue;
            }

            if ((await log.HashAtAsync(c.Sequence, ct))?.AsSpan().SequenceEqual(c.HeadBytes()) == true)
            {
                best = c.Sequence;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return best;
    }

    /// <summary>The latest checkpoint this service signed, from the database or the file, whichever vouches for more.</summary>
    private async Task<Checkpoint?> LatestTrustedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        Checkpoint? fromDatabase = null;
        long? cursor = null;
        while (fromDatabase is null)
        {
            var rows = await ReadStoredAsync(conn, tx, cursor, 100, ct);
            fromDatabase = rows.Select(r => r.Checkpoint).FirstOrDefault(signer.Verify);
            if (rows.Count < 100)
            {
                break;
            }

            cursor = rows[^1].Id;
        }

        var fromFile = await LatestInFileAsync(ct);
        return (fromFile?.Sequence ?? 0) > (fromDatabase?.Sequence ?? 0) ? fromFile : fromDatabase;
    }

    /// <summary>
    /// The latest genuine checkpoint in the file, reading only what was appended since the last call:
    /// the interval run must not re-read a year of checkpoints every minute.
    /// </summary>
    private async Task<Checkpoint?> LatestInFileAsync(CancellationToken ct)
    {
        var tail = _fileTail;
        var (added, _, end, restarted) = await file.ReadFromAsync(tail.End, ct);
        var latest = restarted ? null : tail.Latest;
        foreach (var c in added)
        {
            if (c.Sequence > (latest?.Sequence ?? 0) && signer.Verify(c))
            {
                latest = c;
            }
        }

        _fileTail = new FileTail(end, latest);
        return latest;
    }

    /// <summary>Stored checkpoints, newest first by sequence number then row id, after <paramref name="beforeId"/> when paging.</summary>
    private static async Task<List<(long Id, Checkpoint Checkpoint)>> ReadStoredAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long? beforeId, int take, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            select id, seq, head_sha256, entry_count, created_at, key_id, signature from decision_checkpoints
            where ($1::bigint is null or id < $1)
            order by id desc
            limit $2
            """,
            conn,
            tx)
        {
            Parameters = { new() { Value = (object?)beforeId ?? DBNull.Value }, new() { Value = take } },
        };
        var rows = new List<(long, Checkpoint)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt64(0), new Checkpoint(
                reader.GetInt64(1), Convert.ToHexStringLower((byte[])reader[2]), reader.GetInt64(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), Convert.ToBase64String((byte[])reader[6]))));
        }

        return rows;
    }

    private sealed record FileTail(long End, Checkpoint? Latest);
}
