using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Compliance.Storage.Decisions;

/// <summary>
/// One entry as the log stores it. For a decision (<see cref="Kind"/> <c>decision</c>), <see cref="Payload"/> is the full
/// decision (reasons, evidence) as JSON. For a review action (<c>review</c>), <see cref="Outcome"/> names the action,
/// <see cref="LinkedDecisionId"/> the decision it is about, and the payload its details.
/// </summary>
public sealed record DecisionEntry(
    Guid Id,
    Guid TenantId,
    string Subject,
    string Outcome,
    string PolicyVersion,
    string[] Rules,
    Guid[] EntityIds,
    string[] Classifiers,
    DateTimeOffset CreatedAt,
    string Payload)
{
    public string Kind { get; init; } = DecisionEntryKinds.Decision;

    /// <summary>The decision a review action is about; null for decisions.</summary>
    public Guid? LinkedDecisionId { get; init; }
}

/// <summary>The kinds of entry the log holds.</summary>
public static class DecisionEntryKinds
{
    /// <summary>A gate's decision: allow, review or block.</summary>
    public const string Decision = "decision";

    /// <summary>A review-queue action (claim, note, resolution, appeal...) about one decision, which it never changes.</summary>
    public const string Review = "review";
}

/// <summary>
/// The append-only, hash-chained decision log. <see cref="AppendAsync"/> returns only after the entry
/// is committed, so an answer is never given for a decision that could be lost. Concurrent appends
/// are group-committed: one writer drains a queue, takes a cluster-wide advisory lock (so several API
/// nodes extend one chain), links each entry to the previous hash and writes the batch with binary
/// COPY in one transaction. Throughput then scales with batch size instead of with fsyncs.
/// </summary>
public sealed class DecisionLog : IAsyncDisposable
{
    private const long ChainLockKey = 0x4465636973696f6e; // "Decision"
    private const int MaxBatch = 1000;
    private static readonly byte[] Genesis = new byte[32];

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(50_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Task _writer;

    public DecisionLog(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends one entry and waits until it is durable; returns its sequence number.</summary>
    public async Task<long> AppendAsync(DecisionEntry entry, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Copied only when its time has finer ticks than the column keeps or an offset (the recorder truncates already).
        var created = TruncateToMicroseconds(entry.CreatedAt);
        var pending = new Pending(created == entry.CreatedAt && entry.CreatedAt.Offset == TimeSpan.Zero ? entry : entry with { CreatedAt = created });
        await _queue.Writer.WriteAsync(pending, ct);
        // Not cancellable once queued: the entry may already be committing, and the caller must not
        // believe a decision was dropped when it was in fact recorded.
        return await pending.Done.Task.ConfigureAwait(false);
    }

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var p))
            {
                batch.Add(p);
            }

            try
            {
                var seqs = await WriteBatchAsync(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(seqs[i]);
                }
            }
            catch (Exception ex)
            {
                // Whatever went wrong, this loop must live on and every waiter must hear about it:
                // a request left waiting forever would be a hang, and a swallowed failure a lost decision.
                foreach (var p in batch)
                {
                    p.Done.TrySetException(new DecisionLogUnavailableException("The decision could not be recorded.", ex));
                }
            }

            batch.Clear();
        }
    }

    private async Task<long[]> WriteBatchAsync(List<Pending> batch)
    {
        await using var conn = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync().ConfigureAwait(false);
        long seq = 0;
        var prev = Genesis;
        // The chain lock and the head in one round trip (the head is read after the lock is granted: the statements
        // of a batch run in order).
        await using (var head = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("select pg_advisory_xact_lock($1)") { Parameters = { new() { Value = ChainLockKey } } },
                new NpgsqlBatchCommand("select seq, entry_sha256 from decisions order by seq desc limit 1"),
            },
        })
        await using (var reader = await head.ExecuteReaderAsync().ConfigureAwait(false))
        {
            await reader.NextResultAsync().ConfigureAwait(false);
            if (await reader.ReadAsync().ConfigureAwait(false))
            {
                seq = reader.GetInt64(0);
                prev = (byte[])reader[1];
            }
        }

        var seqs = new long[batch.Count];
        await using (var importer = await conn.BeginBinaryImportAsync(
            "copy decisions (seq, id, tenant_id, subject, outcome, policy_version, rules, entity_ids, classifiers, created_at, payload, prev_sha256, entry_sha256, kind, linked_decision_id) from stdin (format binary)").ConfigureAwait(false))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var e = batch[i].Entry;
                seq++;
                var hash = EntryHash(prev, seq, e);
                await importer.StartRowAsync().ConfigureAwait(false);
                await importer.WriteAsync(seq, NpgsqlDbType.Bigint).ConfigureAwait(false);
                await importer.WriteAsync(e.Id, NpgsqlDbType.Uuid).ConfigureAwait(false);
                await importer.WriteAsync(e.TenantId, NpgsqlDbType.Uuid).ConfigureAwait(false);
                await importer.WriteAsync(e.Subject, NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(e.Outcome, NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(e.PolicyVersion, NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(e.Rules, NpgsqlDbType.Array | NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(e.EntityIds, NpgsqlDbType.Array | NpgsqlDbType.Uuid).ConfigureAwait(false);
                await importer.WriteAsync(e.Classifiers, NpgsqlDbType.Array | NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(e.CreatedAt, NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await importer.WriteAsync(e.Payload, NpgsqlDbType.Text).ConfigureAwait(false);
                await importer.WriteAsync(prev, NpgsqlDbType.Bytea).ConfigureAwait(false);
                await importer.WriteAsync(hash, NpgsqlDbType.Bytea).ConfigureAwait(false);
                await importer.WriteAsync(e.Kind, NpgsqlDbType.Text).ConfigureAwait(false);
                if (e.LinkedDecisionId is { } linked)
                {
                    await importer.WriteAsync(linked, NpgsqlDbType.Uuid).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteNullAsync().ConfigureAwait(false);
                }

                seqs[i] = seq;
                prev = hash;
            }

            await importer.CompleteAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return seqs;
    }

    /// <summary>
    /// SHA-256 of the previous entry's hash and this entry's canonical text (every stored column). A decision's text is
    /// exactly what it was before the log held other kinds, so every earlier entry still verifies; any other entry (or a
    /// decision with a link) appends its kind and link, so neither can be changed without breaking the chain.
    /// </summary>
    public static byte[] EntryHash(byte[] prev, long seq, DecisionEntry e)
    {
        ArgumentNullException.ThrowIfNull(prev);
        ArgumentNullException.ThrowIfNull(e);
        // The canonical text is encoded field by field straight into one pooled buffer after the previous hash, instead
        // of joined into a string, encoded, and copied again (three copies of the payload per entry, on the log's single
        // writer). Every field is followed by a separator, so no surrogate pair is split between two encodings and the
        // bytes are exactly Encoding.UTF8.GetBytes of the joined text (DecisionLogTests pins this against that form).
        var micros = (e.CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var chars = 20 + (3 * 36) + 20 + 12 + e.Subject.Length + e.Outcome.Length + e.PolicyVersion.Length + e.Payload.Length + e.Kind.Length
            + (e.EntityIds.Length * 37);
        foreach (var rule in e.Rules)
        {
            chars += rule.Length + 1;
        }

        foreach (var classifier in e.Classifiers)
        {
            chars += classifier.Length + 1;
        }

        var rented = ArrayPool<byte>.Shared.Rent(prev.Length + Encoding.UTF8.GetMaxByteCount(chars));
        try
        {
            var buffer = rented.AsSpan();
            prev.CopyTo(buffer);
            var at = prev.Length;
            at += Utf8(seq, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.Id, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.TenantId, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.Subject, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.Outcome, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.PolicyVersion, buffer[at..]);
            buffer[at++] = (byte)'\n';
            for (var i = 0; i < e.Rules.Length; i++)
            {
                if (i > 0)
                {
                    buffer[at++] = 0x1f;
                }

                at += Utf8(e.Rules[i], buffer[at..]);
            }

            buffer[at++] = (byte)'\n';
            for (var i = 0; i < e.EntityIds.Length; i++)
            {
                if (i > 0)
                {
                    buffer[at++] = 0x1f;
                }

                at += Utf8(e.EntityIds[i], buffer[at..]);
            }

            buffer[at++] = (byte)'\n';
            for (var i = 0; i < e.Classifiers.Length; i++)
            {
                if (i > 0)
                {
                    buffer[at++] = 0x1f;
                }

                at += Utf8(e.Classifiers[i], buffer[at..]);
            }

            buffer[at++] = (byte)'\n';
            at += Utf8(micros, buffer[at..]);
            buffer[at++] = (byte)'\n';
            at += Utf8(e.Payload, buffer[at..]);
            if (e.Kind != DecisionEntryKinds.Decision || e.LinkedDecisionId is not null)
            {
                buffer[at++] = (byte)'\n';
                at += Utf8(e.Kind, buffer[at..]);
                buffer[at++] = (byte)'\n';
                if (e.LinkedDecisionId is { } linked)
                {
                    at += Utf8(linked, buffer[at..]);
                }
            }

            return SHA256.HashData(buffer[..at]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int Utf8(string text, Span<byte> to) => Encoding.UTF8.GetBytes(text, to);

    private static int Utf8(long value, Span<byte> to) =>
        value.TryFormat(to, out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException("The entry hash buffer is too small.");

    private static int Utf8(Guid value, Span<byte> to) =>
        value.TryFormat(to, out var written, "D") ? written : throw new InvalidOperationException("The entry hash buffer is too small.");

    /// <summary>Re-walks the whole chain in order and reports the first entry that was edited, deleted or moved.</summary>
    public Task<ChainVerification> VerifyAsync(CancellationToken ct = default) => WalkAsync(null, [], null, ct);

    /// <summary>
    /// Re-walks the chain in order and stops at the first entry that was edited, deleted or moved.
    /// Without <paramref name="from"/> the walk starts at the genesis; with it, at an entry someone vouched
    /// for (a signed checkpoint), which must still be there with the vouched-for hash, so only the entries
    /// after it are recomputed. The stored hash of each sequence number in <paramref name="watch"/> that the
    /// walk reaches intact is reported, and the entries of <paramref name="countTenant"/> are counted.
    /// </summary>
    public async Task<ChainVerification> WalkAsync(ChainAnchor? from, IReadOnlyCollection<long> watch, Guid? countTenant, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(watch);
        await using var conn = await _dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "select seq, id, tenant_id, subject, outcome, policy_version, rules, entity_ids, classifiers, created_at, payload, prev_sha256, entry_sha256, kind, linked_decision_id from decisions where seq >= $1 order by seq",
            conn)
        {
            Parameters = { new() { Value = from?.Seq ?? 1L } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var watched = new Dictionary<long, WatchedEntry>();
        var prev = Genesis;
        var expected = from?.Seq ?? 1;
        long checkedCount = 0;
        long tenantCount = 0;
        long lastSeq = (from?.Seq ?? 1) - 1;
        ChainVerification Broken(long seq, Guid? id, Guid? tenant, ChainBreak kind, string problem) =>
            new(false, checkedCount, seq, id, problem)
            {
                Break = kind,
                FirstBadTenantId = tenant,
                LastSeq = lastSeq,
                LastSha256 = prev,
                TenantEntriesChecked = tenantCount,
                Watched = watched,
            };

        while (await reader.ReadAsync(ct))
        {
            var seq = reader.GetInt64(0);
            var entry = new DecisionEntry(
                reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetFieldValue<string[]>(6), reader.GetFieldValue<Guid[]>(7), reader.GetFieldValue<string[]>(8),
                reader.GetFieldValue<DateTimeOffset>(9), reader.GetString(10))
            {
                Kind = reader.GetString(13),
                LinkedDecisionId = reader.IsDBNull(14) ? null : reader.GetGuid(14),
            };
            var storedPrev = (byte[])reader[11];
            var storedHash = (byte[])reader[12];
            if (from is not null && seq == from.Seq)
            {
                // The vouched-for entry itself: it must still carry the hash that was vouched for, and
                // its content must still produce it.
                if (!storedHash.AsSpan().SequenceEqual(from.HeadSha256))
                {
                    return Broken(seq, entry.Id, entry.TenantId, ChainBreak.Rewritten, $"entry {seq} no longer has the head hash the {from.Source} vouched for (rewritten and rehashed)");
                }

                if (!EntryHash(storedPrev, seq, entry).AsSpan().SequenceEqual(storedHash))
                {
                    return Broken(seq, entry.Id, entry.TenantId, ChainBreak.Edited, "its content does not match its hash (edited)");
                }
            }
            else if (seq != expected)
            {
                return from is not null && expected == from.Seq
                    ? Broken(from.Seq, null, null, ChainBreak.Missing, $"entry {from.Seq}, vouched for by the {from.Source}, is missing (deleted)")
                    : Broken(seq, entry.Id, entry.TenantId, ChainBreak.Missing, $"entries {expected}..{seq - 1} are missing (deleted)");
            }
            else if (!storedPrev.AsSpan().SequenceEqual(prev))
            {
                return Broken(seq, entry.Id, entry.TenantId, ChainBreak.Unlinked, "does not link to the previous entry (an entry before it was deleted, replaced or moved)");
            }
            else if (!EntryHash(prev, seq, entry).AsSpan().SequenceEqual(storedHash))
            {
                return Broken(seq, entry.Id, entry.TenantId, ChainBreak.Edited, "its content does not match its hash (edited)");
            }

            prev = storedHash;
            lastSeq = seq;
            expected = seq + 1;
            checkedCount++;
            if (entry.TenantId == countTenant)
            {
                tenantCount++;
            }

            if (watch.Contains(seq))
            {
                watched[seq] = new WatchedEntry(storedHash, entry.Id, entry.TenantId);
            }
        }

        if (from is not null && lastSeq < from.Seq)
        {
            return Broken(from.Seq, null, null, ChainBreak.Truncated, $"the log ends before entry {from.Seq}, which the {from.Source} vouched for (tail deleted)");
        }

        return new ChainVerification(true, checkedCount, null, null, null)
        {
            LastSeq = lastSeq,
            LastSha256 = prev,
            TenantEntriesChecked = tenantCount,
            Watched = watched,
        };
    }

    /// <summary>The stored hash of one entry, or null when there is no entry with that sequence number.</summary>
    public async Task<byte[]?> HashAtAsync(long seq, CancellationToken ct = default)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("select entry_sha256 from decisions where seq = $1", conn) { Parameters = { new() { Value = seq } } };
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }

    /// <summary>The latest entry's sequence number, or 0 for an empty log.</summary>
    public async Task<long> HeadSeqAsync(CancellationToken ct = default)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("select coalesce(max(seq), 0) from decisions", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private sealed class Pending(DecisionEntry entry)
    {
        public DecisionEntry Entry { get; } = entry;

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The log could not durably record a decision; the request must not be answered as if it had been.</summary>
public sealed class DecisionLogUnavailableException(string message, Exception inner) : Exception(message, inner);
