using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Decisions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>
/// The log's tail is anchored: signed checkpoints (in the database, in a file outside it, and in the
/// auditor's hands) catch what the hash chain alone cannot: the last entries cut off, or rewritten
/// with their hashes recomputed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LogAnchorTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task DeletingTheLastEntryIsReportedWithTheLastTrustedSequenceNumber()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("truncate", 3, 5);

        await TamperAsync(app, "delete from decisions where seq = 5");

        var result = await VerifyAsync(world.Auditor);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(5, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("truncated", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, result["lastTrustedSeq"]!.GetValue<long>());
        Assert.Equal(4, result["entriesChecked"]!.GetValue<long>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task DeletingTheTailAndItsCheckpointRowsIsStillCaughtByTheFileCopy()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("truncate2", 3, 5);

        await TamperAsync(app, "delete from decisions where seq >= 4", "delete from decision_checkpoints where seq > 3");

        var result = await VerifyAsync(world.Auditor);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(4, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("checkpoint in the file", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, result["lastTrustedSeq"]!.GetValue<long>());
        Assert.Contains(result["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("missing from the database", StringComparison.Ordinal));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task RewritingTheLastEntryAndRecomputingItsHashIsDetected()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("rewrite", 3, 5);

        await RewriteWithRecomputedHashAsync(app, 5);

        // The chain alone cannot see it: every link and hash is consistent.
        Assert.True((await app.Services.GetRequiredService<DecisionLog>().VerifyAsync()).Intact);
        var result = await VerifyAsync(world.Auditor);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(5, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("rewritten", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, result["lastTrustedSeq"]!.GetValue<long>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ARewrittenTailIsNeverSignedByTheNextCheckpoint()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("nosign", 3);
        await world.ScreenAsync("after the checkpoint");
        await RewriteWithRecomputedHashAsync(app, 3);

        var response = await world.Auditor.PostAsync("/v1/decisions/checkpoints", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await World.Json(response);
        Assert.Equal(3, problem["firstBadSeq"]!.GetValue<long>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ATailRewrittenAfterTheDatabasesCheckpointsWereDeletedIsStillNeverSigned()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("nosignfile", 5);
        await TamperAsync(app, "delete from decision_checkpoints");
        await RewriteWithRecomputedHashAsync(app, 5);

        // The database no longer remembers any checkpoint; the file beside the service does.
        var response = await world.Auditor.PostAsync("/v1/decisions/checkpoints", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(5, (await World.Json(response))["firstBadSeq"]!.GetValue<long>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ASigningKeyFileThatHoldsNoKeyStopsStartUpNamingTheFile()
    {
        var path = Path.Combine(ComplianceApp.DataRoot, "damaged-key.pem");
        Directory.CreateDirectory(ComplianceApp.DataRoot);
        await File.WriteAllTextAsync(path, "not a key");

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("badkey", o => o.Settings["DecisionLog:SigningKeyFile"] = path));

        var messages = string.Join(" | ", Flatten(ex).Select(e => e.Message));
        Assert.Contains(path, messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHeadTheAuditorKeptThatTheLogNoLongerMatchesIsReported()
    {
        var app = await postgres.CreateAppAsync("supplied");
        var world = await app.NewWorldAsync();
        JsonObject last = [];
        for (var i = 0; i < 3; i++)
        {
            last = await world.ScreenAsync($"supplied head {i}");
        }

        var kept = (await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{last["decisionId"]}")))["entrySha256"]!.GetValue<string>();
        Assert.True((await VerifyAsync(world.Auditor, $"?seq=3&headSha256={kept}"))["intact"]!.GetValue<bool>());

        await RewriteWithRecomputedHashAsync(app, 3);

        // No checkpoint was ever made, so only the auditor's own copy of the head can tell.
        var unanchored = await VerifyAsync(world.Auditor);
        Assert.True(unanchored["intact"]!.GetValue<bool>());
        Assert.Contains(unanchored["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("No checkpoint yet", StringComparison.Ordinal));
        var result = await VerifyAsync(world.Auditor, $"?seq=3&headSha256={kept}");
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(3, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("head you supplied", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        var beyond = await VerifyAsync(world.Auditor, $"?seq=4&headSha256={kept}");
        Assert.False(beyond["intact"]!.GetValue<bool>());
        Assert.Contains("truncated", beyond["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.GetAsync("/v1/decisions/verify?seq=3")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.GetAsync($"/v1/decisions/verify?seq=0&headSha256={kept}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.GetAsync("/v1/decisions/verify?seq=3&headSha256=xyz")).StatusCode);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ASignedCheckpointTheAuditorKeptCatchesTamperingAfterEveryOtherCopyIsGone()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("keptcheckpoint", 4);
        var kept = await World.Json(await world.Auditor.PostAsync("/v1/decisions/checkpoints", null));

        await TamperAsync(app, "delete from decisions where seq = 4", "delete from decision_checkpoints");
        File.Delete(app.Services.GetRequiredService<IOptions<DecisionLogOptions>>().Value.CheckpointFile);

        Assert.True((await VerifyAsync(world.Auditor))["intact"]!.GetValue<bool>()); // nothing left on the service's side to tell
        var response = await world.Auditor.PostAsJsonAsync("/v1/decisions/verify", kept);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await World.Json(response);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(4, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("checkpoint you supplied", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);

        // A checkpoint cannot be edited to vouch for something else.
        kept["headSha256"] = new string('0', 64);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await world.Auditor.PostAsJsonAsync("/v1/decisions/verify", kept)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.PostAsJsonAsync("/v1/decisions/verify", new { sequence = 1 })).StatusCode);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task CheckpointSignatureVerifiesWithThePublishedPublicKey()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await world.ScreenAsync("a signed lighthouse");
        var published = await World.Json(await world.App.ClientWithKey(null).GetAsync("/v1/decisions/checkpoints/key"));
        var response = await world.Auditor.PostAsync("/v1/decisions/checkpoints", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var checkpoint = await World.Json(response);

        using var key = ECDsa.Create();
        key.ImportFromPem(published["publicKeyPem"]!.GetValue<string>());
        Assert.Equal("ES256", published["algorithm"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), published["keyId"]!.GetValue<string>());
        Assert.Equal(published["keyId"]!.GetValue<string>(), checkpoint["keyId"]!.GetValue<string>());
        var text = checkpoint["signedText"]!.GetValue<string>();
        var signature = Convert.FromBase64String(checkpoint["signature"]!.GetValue<string>());
        Assert.True(key.VerifyData(Encoding.UTF8.GetBytes(text), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Contains($"sequence={checkpoint["sequence"]}\n", text, StringComparison.Ordinal);
        Assert.Contains($"head-sha256={checkpoint["headSha256"]}\n", text, StringComparison.Ordinal);
        Assert.False(key.VerifyData(Encoding.UTF8.GetBytes(text.Replace("sequence=", "sequence=1", StringComparison.Ordinal)), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task ACheckpointRowForgedInTheDatabaseAnchorsNothingAndIsReported()
    {
        var (app, world) = await LogWithCheckpointsAtAsync("forged", 3, 5);
        var newHead = await RewriteWithRecomputedHashAsync(app, 5);
        var keyId = (await World.Json(await world.Auditor.GetAsync("/v1/decisions/checkpoints/key")))["keyId"]!.GetValue<string>();

        // The owner vouches for the rewritten head with a checkpoint of their own, under the service's key id.
        await TamperAsync(app, $"insert into decision_checkpoints (seq, head_sha256, entry_count, created_at, key_id, signature) values (5, '\\x{Convert.ToHexStringLower(newHead)}', 5, now(), '{keyId}', '\\x3006020101020101')");

        var result = await VerifyAsync(world.Auditor);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(5, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains(result["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("forged", StringComparison.Ordinal));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task CheckpointsAreSignedAtTheIntervalOnlyWhenTheHeadMoved()
    {
        var app = await postgres.CreateAppAsync("interval", o => o.Settings["DecisionLog:CheckpointInterval"] = "00:00:00.200");
        var world = await app.NewWorldAsync();
        await world.ScreenAsync("tick one");
        await world.ScreenAsync("tick two");

        Assert.True(await EventuallyAsync(app, "select count(*) = 1 from decision_checkpoints where seq = 2"), "no checkpoint of entry 2 was signed at the interval");
        await using (var conn = new NpgsqlConnection(app.Database.Owner))
        {
            var signed = await conn.ExecuteScalarAsync<long>("select count(*) from decision_checkpoints");
            await Task.Delay(1000); // five more intervals, and the head has not moved
            Assert.Equal(signed, await conn.ExecuteScalarAsync<long>("select count(*) from decision_checkpoints"));
        }

        await world.ScreenAsync("tick three");
        Assert.True(await EventuallyAsync(app, "select count(*) = 1 from decision_checkpoints where seq = 3"), "no checkpoint of entry 3 was signed at the interval");
        Assert.True(await EventuallyAsync(app, "select count(*) = count(distinct seq) from decision_checkpoints"), "the same head was signed twice");

        var file = app.Services.GetRequiredService<IOptions<DecisionLogOptions>>().Value.CheckpointFile;
        var lines = File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!["sequence"]!.GetValue<long>()).ToList();
        await using (var conn = new NpgsqlConnection(app.Database.Owner))
        {
            Assert.Equal(await conn.QueryAsync<long>("select seq from decision_checkpoints order by id"), lines);
        }

        Assert.Equal(3, lines[^1]);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task TheSigningKeyIsMadeOnFirstStartPrivateToTheServiceAndSharedByNodesOnOneDatabase()
    {
        var a = await postgres.CreateAppAsync("signkey");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var path = a.Services.GetRequiredService<IOptions<DecisionLogOptions>>().Value.SigningKeyFile;

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var keyA = await World.Json(await a.ClientWithKey(null).GetAsync("/v1/decisions/checkpoints/key"));
        var keyB = await World.Json(await b.ClientWithKey(null).GetAsync("/v1/decisions/checkpoints/key"));
        Assert.Equal(keyA["keyId"]!.GetValue<string>(), keyB["keyId"]!.GetValue<string>());

        // A checkpoint signed by one node anchors verification on the other.
        var world = await a.NewWorldAsync();
        await world.ScreenAsync("signed on a");
        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsync("/v1/decisions/checkpoints", null)).StatusCode);
        var auditorOnB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Auditor));
        var onB = await VerifyAsync(auditorOnB);
        Assert.True(onB["intact"]!.GetValue<bool>());
        Assert.Equal(1, onB["lastTrustedSeq"]!.GetValue<long>());
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task TenantScopedAuditorsVerifyRevealsNoGlobalCountAndNoOtherTenantsIds()
    {
        var app = await postgres.CreateAppAsync("tenantverify");
        var world = await app.NewWorldAsync();
        var auditor = app.ClientWithKey(await app.CreateKeyAsync(Roles.Auditor, world.TenantId));
        var mine = new List<Guid>();
        var theirs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            theirs.Add((await world.ScreenAsync($"theirs {i}", world.OtherPlatform))["decisionId"]!.GetValue<Guid>());
            mine.Add((await world.ScreenAsync($"mine {i}"))["decisionId"]!.GetValue<Guid>());
        }

        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsync("/v1/decisions/checkpoints", null)).StatusCode);
        var clean = await VerifyAsync(auditor);
        Assert.True(clean["intact"]!.GetValue<bool>());
        Assert.Equal("tenant", clean["scope"]!.GetValue<string>());
        Assert.Equal(3, clean["entriesChecked"]!.GetValue<long>()); // its own three, not the log's six
        Assert.Equal(6, clean["lastTrustedSeq"]!.GetValue<long>()); // its own latest decision, which it can already see
        Assert.Null(clean["anchors"]);

        // Another tenant's decision is edited: the tenant learns the log does not verify, but not where or whose.
        await TamperAsync(app, "update decisions set subject = 'edited' where seq = 3");
        var raw = await (await auditor.GetAsync("/v1/decisions/verify")).Content.ReadAsStringAsync();
        var foreign = JsonNode.Parse(raw)!.AsObject();
        Assert.False(foreign["intact"]!.GetValue<bool>());
        Assert.Null(foreign["firstBadSeq"]);
        Assert.Null(foreign["firstBadId"]);
        Assert.Equal(1, foreign["entriesChecked"]!.GetValue<long>());
        Assert.All(theirs, id => Assert.DoesNotContain(id.ToString(), raw, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("seq", foreign["problem"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var unscoped = await VerifyAsync(world.Auditor);
        Assert.Equal(theirs[1], unscoped["firstBadId"]!.GetValue<Guid>());

        // Checkpoints and supplied heads speak of the whole log: not for a tenant's key.
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync("/v1/decisions/checkpoints", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.GetAsync("/v1/decisions/checkpoints")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.GetAsync($"/v1/decisions/verify?seq=1&headSha256={new string('0', 64)}")).StatusCode);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task TenantScopedAuditorIsToldWhichOfItsOwnDecisionsWasEdited()
    {
        var app = await postgres.CreateAppAsync("tenantown");
        var world = await app.NewWorldAsync();
        var auditor = app.ClientWithKey(await app.CreateKeyAsync(Roles.Auditor, world.TenantId));
        await world.ScreenAsync("theirs", world.OtherPlatform);
        var mine = (await world.ScreenAsync("mine"))["decisionId"]!.GetValue<Guid>();

        await TamperAsync(app, $"update decisions set subject = 'edited' where id = '{mine}'");

        var result = await VerifyAsync(auditor);
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(mine, result["firstBadId"]!.GetValue<Guid>());
        Assert.Equal(2, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains("edited", result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    /// <summary>A fresh log with checkpoints made (through the API) when it reached each of <paramref name="checkpointAt"/> entries.</summary>
    private async Task<(ComplianceApp App, World World)> LogWithCheckpointsAtAsync(string name, params long[] checkpointAt)
    {
        var app = await postgres.CreateAppAsync(name);
        var world = await app.NewWorldAsync();
        for (var seq = 1; seq <= checkpointAt.Max(); seq++)
        {
            await world.ScreenAsync($"{name} entry {seq}");
            if (checkpointAt.Contains(seq))
            {
                var response = await world.Auditor.PostAsync("/v1/decisions/checkpoints", null);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                Assert.Equal(seq, (await World.Json(response))["sequence"]!.GetValue<long>());
            }
        }

        Assert.True((await VerifyAsync(world.Auditor))["intact"]!.GetValue<bool>());
        return (app, world);
    }

    private static async Task<JsonObject> VerifyAsync(HttpClient auditor, string query = "")
    {
        var response = await auditor.GetAsync("/v1/decisions/verify" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    /// <summary>Someone with owner rights switches the guards off and edits history.</summary>
    private static async Task TamperAsync(ComplianceApp app, params string[] statements)
    {
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        await conn.ExecuteAsync("alter table decisions disable trigger user; alter table decision_checkpoints disable trigger user; "
            + string.Join("; ", statements)
            + "; alter table decisions enable trigger user; alter table decision_checkpoints enable trigger user;");
    }

    /// <summary>Changes entry <paramref name="seq"/>'s outcome and recomputes its hash exactly as the log would: the chain stays self-consistent.</summary>
    private static async Task<byte[]> RewriteWithRecomputedHashAsync(ComplianceApp app, long seq)
    {
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        await conn.OpenAsync();
        DecisionEntry entry;
        byte[] prev;
        await using (var cmd = new NpgsqlCommand("select id, tenant_id, subject, outcome, policy_version, rules, entity_ids, classifiers, created_at, payload, prev_sha256 from decisions where seq = $1", conn))
        {
            cmd.Parameters.Add(new() { Value = seq });
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            entry = new DecisionEntry(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<string[]>(5), reader.GetFieldValue<Guid[]>(6), reader.GetFieldValue<string[]>(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetString(9));
            prev = (byte[])reader[10];
        }

        var forged = entry with { Outcome = entry.Outcome == "block" ? "allow" : "block" };
        var hash = DecisionLog.EntryHash(prev, seq, forged);
        await conn.ExecuteAsync(
            "alter table decisions disable trigger user; update decisions set outcome = @Outcome, entry_sha256 = @hash where seq = @seq; alter table decisions enable trigger user;",
            new { forged.Outcome, hash, seq });
        return hash;
    }

    private static IEnumerable<Exception> Flatten(Exception ex) =>
        ex is AggregateException all ? all.InnerExceptions.SelectMany(Flatten) : ex.InnerException is null ? [ex] : [ex, .. Flatten(ex.InnerException)];

    private static async Task<bool> EventuallyAsync(ComplianceApp app, string condition)
    {
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        for (var i = 0; i < 100; i++)
        {
            if (await conn.ExecuteScalarAsync<bool>(condition))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
