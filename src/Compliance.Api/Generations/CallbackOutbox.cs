using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>
/// Callbacks to the platform when a job ends: an outbox row per (job, terminal state), written when the job ends,
/// and delivered by any node (<c>for update skip locked</c>) with exponential back-off until the platform answers
/// 2xx or the attempts run out. Each POST carries the job as JSON and a signature the platform checks with the
/// service's published public key (<c>GET /v1/provenance/keys</c>):
/// <c>Compliance-Signature: t=UNIX_SECONDS,kid=KEY_ID,es256=BASE64URL(ECDSA-P256-SHA256 over "t." + body)</c>.
/// </summary>
internal sealed class CallbackOutbox(NpgsqlDataSource db)
{
    public async Task EnqueueAsync(Guid jobId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await EnqueueAsync(conn, null, jobId, ct);
    }

    /// <summary>The same, inside a caller's transaction (a reviewer's resolution ends a held job and queues its callback at once).</summary>
    public static async Task EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid jobId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conn);
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into generation_callbacks (id, generation_id, state, url)
            select @callbackId, id, state, callback_url from generation_jobs where id = @jobId and callback_url is not null and finished_at is not null
            on conflict (generation_id, state) do nothing
            """,
            new { callbackId = Guid.CreateVersion7(), jobId }, tx, cancellationToken: ct));
    }
}

/// <summary>Delivers due callbacks; one short transaction per delivery attempt, so nodes share the work.</summary>
internal sealed partial class CallbackDispatcher(NpgsqlDataSource db, IHttpClientFactory http, ProvenanceIssuer signer, ILogger<CallbackDispatcher> logger)
    : BackgroundService
{
    internal const int MaxAttempts = 8;
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Poll);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await DeliverOneAsync(stoppingToken))
                {
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogDispatchFailed(logger, ex);
            }
        }
    }

    /// <summary>Tries the oldest due callback once; false when none is due.</summary>
    internal async Task<bool> DeliverOneAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = await conn.QuerySingleOrDefaultAsync<(Guid Id, Guid GenerationId, string Url, int Attempts, string State)?>(new CommandDefinition(
            """
            select id, generation_id, url, attempts, state from generation_callbacks
            where delivered_at is null and attempts < @max and next_attempt_at <= now()
            order by next_attempt_at limit 1 for update skip locked
            """, new { max = MaxAttempts }, tx, cancellationToken: ct));
        if (due is not { } callback)
        {
            return false;
        }

        var tenant = await conn.ExecuteScalarAsync<Guid>(new CommandDefinition(
            "select tenant_id from generation_jobs where id = @id", new { id = callback.GenerationId }, tx, cancellationToken: ct));
        var view = await GenerationQueries.GetAsync(conn, tenant, callback.GenerationId, ct);
        // The type is the state the callback was queued for; the generation is the job as it is now. They differ only
        // for a held job a reviewer settled before its in_review callback went out (in_review, then released/blocked).
        var body = JsonSerializer.SerializeToUtf8Bytes(new { type = "generation." + callback.State, generation = view }, JsonNames.Options);
        string? error = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, callback.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var (kid, signature) = signer.SignDetached(Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray());
            request.Headers.Add("Compliance-Signature", $"t={t},kid={kid},es256={Base64Url(signature)}");
            using var client = http.CreateClient(nameof(CallbackDispatcher));
            using var response = await client.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {(int)response.StatusCode}";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = ex.GetType().Name + ": " + ex.Message;
        }

        var attempts = callback.Attempts + 1;
        await conn.ExecuteAsync(new CommandDefinition(
            """
            update generation_callbacks set attempts = @attempts, last_error = @error,
                   delivered_at = case when @error is null then now() end,
                   next_attempt_at = now() + make_interval(secs => @backoff)
            where id = @id
            """,
            new { id = callback.Id, attempts, error, backoff = Math.Min(300, Math.Pow(2, attempts)) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback delivery could not run; it tries again shortly")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);
}
