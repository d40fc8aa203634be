using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Generations;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Blobs;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

/// <summary>
/// ADR-042: the blobs of generations that ended without release are deleted once the retention period has passed;
/// released and held jobs, character references and anything else that shares the bytes keep them; the job row and its
/// decisions stay. Each test has its own database, because a sweep "in the future" touches every job in it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GenerationRetentionTests(PostgresFixture postgres) : PostgresTests
{
    private static readonly TimeSpan PastRetention = TimeSpan.FromDays(31);
    private static readonly string Faces = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-images", "faces");

    private static async Task<(Guid Character, string Name)> DeniedCharacterWithReferenceAsync(World world, string baseName, string image)
    {
        var (character, name) = await world.CharacterAsync(baseName);
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read(image), image));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        await world.GrantAsync(character, new { kind = "deny" });
        return (character, name);
    }

    private static Task<string?> BlobAsync(ComplianceApp app, Guid job, string column) =>
        GenerationJobs.ScalarAsync<string?>(app, $"select {column} from generation_jobs where id = @job", new { job });

    private static bool Stored(ComplianceApp app, string blob) => app.Services.GetRequiredService<LocalBlobStore>().FileOf(blob) is not null;

    /// <summary>A job blocked at the prompt gate (an unlicensed character) with a reference image nothing else holds.</summary>
    private static async Task<(World World, Guid Job, string Blob)> BlockedWithItsOwnReferenceAsync(ComplianceApp app)
    {
        var world = await app.NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Comet Rider");
        var body = GenerationJobs.Small($"{name} flies over a neon city");
        body["referenceImage"] = Convert.ToBase64String(TestImages.Read("pen-and-coaster-flat.png"));
        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        Assert.Equal("blocked", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, id)));
        return (world, id, (await BlobAsync(app, id, "reference_blob"))!);
    }

    private static Task<RetentionResult> SweepAsync(ComplianceApp app, TimeSpan after) =>
        app.Services.GetRequiredService<OutputRetention>().SweepAsync(DateTimeOffset.UtcNow + after, CancellationToken.None);

    [Fact]
    public async Task ABlockedJobsOutputIsDeletedAfterTheRetentionPeriodWhileItsDecisionsRemainAndAReleasedJobKeepsItsVideo()
    {
        var app = await postgres.CreateAppAsync("retention");
        var world = await app.NewWorldAsync();
        await DeniedCharacterWithReferenceAsync(world, "Bridge Spirit", "bridge-1-original.png");
        var blockedBody = GenerationJobs.Small("a calm river at sunset");
        // The platform's reference image is also the denied character's reference: the store holds those bytes once.
        blockedBody["referenceImage"] = Convert.ToBase64String(TestImages.Read("bridge-1-original.png"));
        var blocked = await GenerationJobs.SubmitAsync(world.Platform, blockedBody);
        var released = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a lantern glowing in the fog"));
        Assert.Equal("blocked", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, blocked)));
        Assert.Equal("released", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, released)));
        var output = (await BlobAsync(app, blocked, "output_blob"))!;
        var reference = (await BlobAsync(app, blocked, "reference_blob"))!;
        var releasedOutput = (await BlobAsync(app, released, "output_blob"))!;
        Assert.True(Stored(app, output) && Stored(app, reference) && Stored(app, releasedOutput));

        // Within the period nothing goes.
        var early = await SweepAsync(app, TimeSpan.FromDays(29));
        Assert.Equal(0, early.Jobs);
        Assert.True(Stored(app, output));
        Assert.Null((await GenerationJobs.GetAsync(world.Platform, blocked))["mediaDeletedAt"]);

        var swept = await SweepAsync(app, PastRetention);

        Assert.Equal(1, swept.Jobs);
        Assert.Equal(1, swept.BlobsDeleted);
        Assert.Equal(1, swept.BlobsStillReferenced);
        Assert.False(Stored(app, output));
        Assert.True(Stored(app, reference), "the character's reference image shares the bytes and must stay");
        Assert.True(Stored(app, releasedOutput));
        var job = await GenerationJobs.GetAsync(world.Platform, blocked);
        Assert.Equal("blocked", GenerationJobs.State(job));
        Assert.NotNull(job["mediaDeletedAt"]);
        Assert.NotNull(job["decisions"]!["frames"]);
        // The auditor still opens the frame decision, and the log still verifies.
        Assert.Equal(HttpStatusCode.OK, (await world.Auditor.GetAsync($"/v1/decisions/{job["decisions"]!["frames"]!.GetValue<Guid>()}")).StatusCode);
        var verify = await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify"));
        Assert.True(verify["intact"]!.GetValue<bool>());
        // The released video is still served; the released job has no deletion.
        Assert.Equal(HttpStatusCode.OK, (await world.Platform.GetAsync($"/v1/generations/{released}/content")).StatusCode);
        Assert.Null((await GenerationJobs.GetAsync(world.Platform, released))["mediaDeletedAt"]);

        // A second sweep finds nothing more to do.
        Assert.Equal(0, (await SweepAsync(app, PastRetention)).Jobs);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AReferenceImageOnlyABlockedJobUsedIsDeletedButBytesStoredAgainRecentlyAreKept()
    {
        var app = await postgres.CreateAppAsync("retentionref");
        var world = await app.NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Comet Rider"); // no grant: unlicensed, blocked at the prompt gate
        var first = GenerationJobs.Small($"{name} flies over a neon city");
        first["referenceImage"] = Convert.ToBase64String(TestImages.Read("pen-and-coaster-flat.png"));
        var second = GenerationJobs.Small($"{name} rides a comet past the moon");
        second["referenceImage"] = Convert.ToBase64String(TestImages.Read("aaa-orig.png"));
        var a = await GenerationJobs.SubmitAsync(world.Platform, first);
        var b = await GenerationJobs.SubmitAsync(world.Platform, second);
        Assert.Equal("blocked", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, a)));
        Assert.Equal("blocked", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, b)));
        var pen = (await BlobAsync(app, a, "reference_blob"))!;
        var aaa = (await BlobAsync(app, b, "reference_blob"))!;
        // Blocked at the prompt gate: nothing was generated.
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from generation_jobs where id = @a and output_blob is null", new { a }));

        // Storing bytes the store already holds marks the file as just written (PutAsync touches it).
        var store = app.Services.GetRequiredService<LocalBlobStore>();
        File.SetLastWriteTimeUtc(store.FileOf(aaa)!, DateTime.UtcNow - TimeSpan.FromDays(40));
        Assert.Equal(aaa, await store.PutAsync(TestImages.Read("aaa-orig.png")));
        Assert.True(File.GetLastWriteTimeUtc(store.FileOf(aaa)!) > DateTime.UtcNow - TimeSpan.FromMinutes(5));

        var swept = await SweepAsync(app, TimeSpan.FromHours(12));

        Assert.Equal(0, swept.Jobs); // not due yet: finished less than 30 days before
        // The sweep runs 31 days on; the aaa bytes were stored again ten minutes before it, as if by a writer that
        // had not committed the row referencing them when the sweep looked: they are kept.
        File.SetLastWriteTimeUtc(store.FileOf(aaa)!, (DateTimeOffset.UtcNow + PastRetention - TimeSpan.FromMinutes(10)).UtcDateTime);
        swept = await SweepAsync(app, PastRetention);
        Assert.Equal(1, swept.Jobs);
        Assert.False(Stored(app, pen));
        Assert.True(Stored(app, aaa), "bytes stored again within the grace period must stay");
        Assert.Equal(1, swept.BlobsDeleted);
        Assert.Equal(1, swept.BlobsRecentlyStored);
        Assert.NotNull((await GenerationJobs.GetAsync(world.Platform, a))["mediaDeletedAt"]);
        Assert.Null((await GenerationJobs.GetAsync(world.Platform, b))["mediaDeletedAt"]); // left for the next sweep

        // Two hours later the grace has passed: the next sweep deletes them and marks the job.
        swept = await SweepAsync(app, PastRetention + TimeSpan.FromHours(2));
        Assert.Equal(1, swept.Jobs);
        Assert.Equal(1, swept.BlobsDeleted);
        Assert.False(Stored(app, aaa));
        Assert.NotNull((await GenerationJobs.GetAsync(world.Platform, b))["mediaDeletedAt"]);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ARetentionShorterThanAnHourOrABadCronStopsStartUpNamingTheSetting()
    {
        var tooShort = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("retentionbad", o => o.Settings["Generation:Retention:UnreleasedFor"] = "00:10:00"));
        var validation = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(tooShort.GetBaseException());
        Assert.Contains(validation.Failures, f => f.StartsWith("Generation:Retention:UnreleasedFor", StringComparison.Ordinal));

        var badCron = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("retentioncron", o => o.Settings["Generation:Retention:Cron"] = "every hour"));
        Assert.Contains(Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(badCron.GetBaseException()).Failures,
            f => f.StartsWith("Generation:Retention:Cron", StringComparison.Ordinal));

        var orphanGrace = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("retentionorphan", o => o.Settings["Generation:Retention:OrphanGrace"] = "00:30:00"));
        Assert.Contains(Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(orphanGrace.GetBaseException()).Failures,
            f => f.StartsWith("Generation:Retention:OrphanGrace", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BlobFilesNoRowHoldsAreDeletedOnceOldEnoughWhileHeldFreshAndForeignFilesStay()
    {
        var app = await postgres.CreateAppAsync("retentionorphans");
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Orphan Keeper");
        Assert.Equal(HttpStatusCode.Created, (await world.RightsHolder.PostAsync($"/v1/characters/{character}/references",
            TestImages.Form(TestImages.Read("bridge-1-original.png"), "bridge.png"))).StatusCode);
        var store = app.Services.GetRequiredService<LocalBlobStore>();
        var held = await GenerationJobs.ScalarAsync<string>(app, "select blob_sha256 from reference_images where character_id = @character", new { character });
        // A writer that stored bytes and never committed its row, two days ago; another a minute ago; a write that died
        // before its rename; and a file that is not a blob at all.
        var orphan = await store.PutAsync(TestImages.Read("pen-and-coaster-flat.png"));
        var fresh = await store.PutAsync(TestImages.Read("aaa-orig.png"));
        var abandoned = store.FileOf(orphan) + ".0123456789abcdef.tmp";
        await File.WriteAllBytesAsync(abandoned, [1, 2, 3]);
        var foreign = Path.Combine(store.Root, "README.operator");
        await File.WriteAllTextAsync(foreign, "not a blob");
        var old = DateTime.UtcNow - TimeSpan.FromDays(2);
        foreach (var path in new[] { store.FileOf(orphan)!, store.FileOf(held)!, abandoned, foreign })
        {
            File.SetLastWriteTimeUtc(path, old);
        }

        var swept = await SweepAsync(app, TimeSpan.Zero);

        Assert.Equal(2, swept.OrphansDeleted);
        Assert.False(Stored(app, orphan));
        Assert.False(File.Exists(abandoned));
        Assert.True(Stored(app, held), "a character's reference image is held by its row");
        Assert.True(Stored(app, fresh), "bytes stored within Generation:Retention:OrphanGrace may be about to be referenced");
        Assert.True(File.Exists(foreign), "only blobs and abandoned writes are the sweep's");
        await app.DisposeAsync();
    }

    [Fact]
    public async Task EveryColumnThatNamesABlobIsKnownToTheOrphanPass()
    {
        // The orphan pass deletes what no listed column names: a blob column added without being listed would have its
        // files deleted under it. Every text column whose name says "blob" must be listed (and nothing else).
        var app = await postgres.SharedAppAsync();
        await using var conn = new Npgsql.NpgsqlConnection(app.Database.Owner);
        var columns = (await Dapper.SqlMapper.QueryAsync<(string, string)>(conn,
            """
            select table_name, column_name from information_schema.columns
            where table_schema = 'public' and data_type = 'text' and column_name like '%blob%'
              and table_name in (select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE')
            """)).Select(c => $"{c.Item1}.{c.Item2}").ToHashSet();
        Assert.Equal(columns.Order(), OutputRetention.BlobColumns.Select(c => $"{c.Table}.{c.Column}").Order());
    }

    [Fact]
    public async Task WithRetentionDisabledNothingIsDeleted()
    {
        var app = await postgres.CreateAppAsync("retentionoff", o => o.Settings["Generation:Retention:Enabled"] = "false");
        var (world, id, blob) = await BlockedWithItsOwnReferenceAsync(app);
        File.SetLastWriteTimeUtc(app.Services.GetRequiredService<LocalBlobStore>().FileOf(blob)!, DateTime.UtcNow - TimeSpan.FromDays(40));

        Assert.Equal(0, (await SweepAsync(app, PastRetention)).Jobs);
        Assert.True(Stored(app, blob));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task TheScheduledSweepRunsOnItsOwnOnTheClusteredScheduler()
    {
        var app = await postgres.CreateAppAsync("retentioncron1", o => o.Settings["Generation:Retention:Cron"] = "* * * * * ?");
        var (world, id, blob) = await BlockedWithItsOwnReferenceAsync(app);
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app,
            "select count(*) from qrtz_cron_triggers where trigger_group = 'retention' and cron_expression = '* * * * * ?'"));

        // Ended 31 days ago, bytes stored 40 days ago: the next fire deletes them.
        await GenerationJobs.ScalarAsync<long>(app,
            "with u as (update generation_jobs set finished_at = finished_at - interval '31 days' where id = @id returning 1) select count(*) from u", new { id });
        File.SetLastWriteTimeUtc(app.Services.GetRequiredService<LocalBlobStore>().FileOf(blob)!, DateTime.UtcNow - TimeSpan.FromDays(40));
        // The sweep deletes the file before it commits the row's mark (ADR-042: never a marked row whose file is still
        // there), so the file can be gone a moment before the mark is visible: wait for the mark, then check both.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await GenerationJobs.GetAsync(world.Platform, id))["mediaDeletedAt"] is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.NotNull((await GenerationJobs.GetAsync(world.Platform, id))["mediaDeletedAt"]);
        Assert.False(Stored(app, blob));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ADeletedEnrolmentsPhotoIsDeletedByTheNextSweepWhileTheRowAndTheOtherEnrolmentsStay()
    {
        var app = await postgres.CreateAppAsync("retentionenrol");
        var world = await app.NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Ana Retention" })))["id"]!.GetValue<Guid>();
        var owner = app.ClientWithKey(await app.CreateKeyAsync(Compliance.Api.Access.Roles.LikenessOwner, likenessProfileId: profile));
        async Task<Guid> EnrolAsync(string photo)
        {
            var response = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(File.ReadAllBytes(Path.Combine(Faces, photo)), photo));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await World.Json(response))["id"]!.GetValue<Guid>();
        }

        var kept = await EnrolAsync("astronaut.png");
        var deleted = await EnrolAsync("grace_hopper.jpg");
        Task<string> PhotoAsync(Guid enrolment) => GenerationJobs.ScalarAsync<string>(app, "select blob_sha256 from likeness_enrolments where public_id = @enrolment", new { enrolment });
        var keptPhoto = await PhotoAsync(kept);
        var deletedPhoto = await PhotoAsync(deleted);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/likeness/enrolments/{deleted}")).StatusCode);
        Assert.True(Stored(app, deletedPhoto));

        // Enrolled minutes ago: within the grace (a re-enrolment of the same photo may be committing), so it waits.
        var early = await SweepAsync(app, TimeSpan.Zero);
        Assert.Equal(0, early.Enrolments);
        Assert.True(Stored(app, deletedPhoto));

        var swept = await SweepAsync(app, TimeSpan.FromHours(2));
        Assert.Equal(1, swept.Enrolments);
        Assert.False(Stored(app, deletedPhoto));
        Assert.True(Stored(app, keptPhoto));
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app,
            "select count(*) from likeness_enrolments where public_id = @deleted and photo_deleted_at is not null and deleted_at is not null", new { deleted }));
        // The mark is one-time, and nothing else about an enrolment may change.
        var again = await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => GenerationJobs.ScalarAsync<long>(app,
            "with u as (update likeness_enrolments set photo_deleted_at = now() where public_id = @deleted returning 1) select count(*) from u", new { deleted }));
        Assert.Contains("immutable", again.MessageText, StringComparison.Ordinal);
        await app.DisposeAsync();
    }
}
