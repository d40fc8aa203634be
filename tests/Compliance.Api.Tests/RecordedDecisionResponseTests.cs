using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compliance.Api.Screening;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Generation.Gates;
using Compliance.Storage.Decisions;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>
/// A screened prompt's answer is written from the payload the log stored (ADR-039): these pin that the answer is byte for
/// byte what serialising the decision would write, and that the log's payload is the same decision.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RecordedDecisionResponseTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task ScreenedPromptAnswerIsTheLoggedPayloadWithItsSequenceByteForByte()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Byte Pin Falcon");
        string[] prompts =
        [
            "a paper boat on a puddle",
            $"{name} soars over the harbour at dawn",
            "quotes \" and back\\slashes, <tags> & 'apostrophes', emoji \U0001F985, line\nbreak, \u2028 and accents: Ça m'étonne",
        ];
        foreach (var prompt in prompts)
        {
            var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt, account = "pin-user", contexts = new[] { "advertising" } });
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            var body = await response.Content.ReadAsByteArrayAsync();
            using var parsed = JsonDocument.Parse(body);
            var id = parsed.RootElement.GetProperty("decisionId").GetGuid();
            var seq = parsed.RootElement.GetProperty("sequence").GetInt64();

            await using var conn = new NpgsqlConnection(world.App.Database.Owner);
            var payload = await conn.QuerySingleAsync<string>("select payload from decisions where id = @id", new { id });
            // The answer is exactly what serialising the decision with the API's JSON options writes ...
            var options = world.App.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var view = JsonSerializer.Deserialize<DecisionView>(body, options)!;
            Assert.Equal(body, await WrittenAsync(TypedResults.Ok(view), world.App.Services));

            // ... and the log holds the same decision without its sequence number (not known until it was written). Where
            // the log's default encoder escaped nothing as \uXXXX, the answer is that payload with the sequence put back
            // (the path taken); otherwise (an apostrophe in a reason, non-ASCII text) the answer was serialised afresh.
            Assert.DoesNotContain("\"sequence\"", payload, StringComparison.Ordinal);
            var spliced = payload.Insert(payload.IndexOf(",\"tenantId\"", StringComparison.Ordinal), $",\"sequence\":{seq.ToString(CultureInfo.InvariantCulture)}");
            if (prompt == prompts[0])
            {
                Assert.DoesNotContain("\\u", payload, StringComparison.Ordinal);
            }

            if (!payload.Contains("\\u", StringComparison.Ordinal))
            {
                Assert.Equal(spliced, Encoding.UTF8.GetString(body));
            }
            else
            {
                Assert.Equal(JsonSerializer.Serialize(view with { Sequence = null }, JsonNames.Options), payload);
            }
        }
    }

    [Fact]
    public void PayloadWithAnEscapeTheApiWritesDifferentlyIsNotAnsweredFromTheLog()
    {
        foreach (var (payload, spliced) in new[]
        {
            ("{\"decisionId\":\"00000000-0000-0000-0000-000000000001\",\"tenantId\":\"t\",\"m\":\"plain\"}", true),
            ("{\"decisionId\":\"00000000-0000-0000-0000-000000000001\",\"tenantId\":\"t\",\"m\":\"\\u0027Comet\\u0027\"}", false),
            ("{\"decisionId\":\"00000000-0000-0000-0000-000000000001\",\"tenantId\":\"t\",\"m\":\"\\u00E9\"}", false),
        })
        {
            var logged = new LoggedJson(payload);
            var recorded = Recorded(logged);
            Assert.Equal(spliced, RecordedDecisionResult.Splice(recorded) is not null);
        }
    }

    [Fact]
    public async Task CopyOfARecordedDecisionIsSerialisedAfreshNotFromTheLoggedPayload()
    {
        var app = await postgres.SharedAppAsync();
        var recorded = Recorded(new LoggedJson("{\"decisionId\":\"00000000-0000-0000-0000-000000000001\",\"tenantId\":\"stale\"}"));
        Assert.NotNull(RecordedDecisionResult.Splice(recorded));

        var copy = recorded with { Subject = "image" };
        Assert.Null(RecordedDecisionResult.Splice(copy));
        var written = Encoding.UTF8.GetString(await WrittenAsync(new RecordedDecisionResult(copy), app.Services));
        Assert.Contains("\"subject\":\"image\"", written, StringComparison.Ordinal);
        Assert.DoesNotContain("stale", written, StringComparison.Ordinal);
        Assert.Equal(await WrittenAsync(TypedResults.Ok(copy), app.Services), await WrittenAsync(new RecordedDecisionResult(copy), app.Services));
    }

    private static DecisionView Recorded(LoggedJson logged)
    {
        var recorded = new DecisionView(
            Guid.Parse("00000000-0000-0000-0000-000000000001"), 7, Guid.NewGuid(), "prompt", global::Compliance.Policies.Model.Outcome.Allow, "v1",
            new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), [], [], new DecisionInput("p", null, null, []))
        {
            Logged = logged,
        };
        logged.For = recorded;
        return recorded;
    }

    private static async Task<byte[]> WrittenAsync(IResult result, IServiceProvider services)
    {
        using var body = new MemoryStream();
        await using var scope = services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Response.Body = body;
        await result.ExecuteAsync(http);
        await http.Response.BodyWriter.FlushAsync();
        return body.ToArray();
    }
}

/// <summary>The chain's entry hash is computed without building the canonical text as a string (ADR-039); the bytes hashed must not change.</summary>
public sealed class EntryHashTests
{
    [Fact]
    public void EntryHashIsTheSha256OfThePreviousHashAndTheJoinedCanonicalText()
    {
        var prev = SHA256.HashData("previous"u8);
        var at = new DateTimeOffset(2026, 11, 30, 21, 30, 15, TimeSpan.Zero).AddTicks(1234560);
        DecisionEntry[] entries =
        [
            new(Guid.NewGuid(), Guid.NewGuid(), "prompt", "allow", "policy-hash", [], [], [], at, "{\"decisionId\":\"x\"}"),
            new(Guid.NewGuid(), Guid.NewGuid(), "prompt", "block", "p", ["unlicensed-character-blocks", "r2"], [Guid.NewGuid(), Guid.NewGuid()], ["names-text"], at,
                "{\"prompt\":\"Ça \\u0000 \U0001F985 \ud800 lone\"} with raw \U0001F985 and a lone \ud800 surrogate and \u001f"),
            new(Guid.NewGuid(), Guid.NewGuid(), "frame", "review", "p", ["r"], [Guid.NewGuid()], ["faces", "names-text", "minilm"], DateTimeOffset.UnixEpoch.AddDays(-3), new string('é', 5000)),
            new(Guid.NewGuid(), Guid.NewGuid(), "prompt", "claim", "p", [], [], [], at, "{}") { Kind = DecisionEntryKinds.Review, LinkedDecisionId = Guid.NewGuid() },
            new(Guid.NewGuid(), Guid.NewGuid(), "prompt", "allow", "p", [], [], [], at, "{}") { Kind = DecisionEntryKinds.Review },
        ];
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            long seq = i switch { 0 => 1, 1 => 987_654_321_012, _ => long.MaxValue - i };
            Assert.Equal(Reference(prev, seq, entry), DecisionLog.EntryHash(prev, seq, entry));
        }
    }

    // The hash as it was first written (string.Join of every field, UTF-8, after the previous hash): entries already in
    // a log were hashed this way, so this is what the current code must reproduce.
    private static byte[] Reference(byte[] prev, long seq, DecisionEntry e)
    {
        var micros = (e.CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var canonical = string.Join('\n',
            seq.ToString(CultureInfo.InvariantCulture), e.Id.ToString("D"), e.TenantId.ToString("D"), e.Subject, e.Outcome, e.PolicyVersion,
            string.Join('\u001f', e.Rules), string.Join('\u001f', e.EntityIds.Select(g => g.ToString("D"))), string.Join('\u001f', e.Classifiers),
            micros.ToString(CultureInfo.InvariantCulture), e.Payload);
        if (e.Kind != DecisionEntryKinds.Decision || e.LinkedDecisionId is not null)
        {
            canonical = string.Join('\n', canonical, e.Kind, e.LinkedDecisionId?.ToString("D") ?? "");
        }

        return SHA256.HashData([.. prev, .. Encoding.UTF8.GetBytes(canonical)]);
    }
}
