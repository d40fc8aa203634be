using System.Text;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Demo;

/// <summary>
/// Seeds a demo tenant, a rights holder with a few characters and grants, and one key per role, the
/// first time the service starts on an empty database. The keys are printed once to the console
/// (never to the log) and written to <c>.data/demo-keys.env</c> (mode 600, git-ignored) for the tour.
/// </summary>
internal static class DemoData
{
    public const string TenantName = "Demo Platform";

    public static async Task SeedAsync(IServiceProvider services, IConfiguration configuration, IWebHostEnvironment env)
    {
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var keys = services.GetRequiredService<ApiKeyStore>();
        await using var conn = await db.OpenConnectionAsync();
        if (await conn.ExecuteScalarAsync<bool>("select exists (select from tenants where name = @TenantName)", new { TenantName }))
        {
            return;
        }

        var tenant = Guid.NewGuid();
        var otherTenant = Guid.NewGuid();
        var studio = Guid.NewGuid();
        await conn.ExecuteAsync("insert into tenants (id, name) values (@tenant, @TenantName), (@otherTenant, 'Other Platform')", new { tenant, TenantName, otherTenant });
        await conn.ExecuteAsync("insert into rights_holders (id, name) values (@studio, 'Demo Studios')", new { studio });

        var comet = Guid.NewGuid();
        var knight = Guid.NewGuid();
        var luma = Guid.NewGuid();
        var rex = Guid.NewGuid();
        await conn.ExecuteAsync(
            """
            insert into characters (id, rights_holder_id, canonical_name, aliases, franchise, description) values
              (@comet, @studio, 'Captain Comet', array['Cpt. Comet', 'The Blazing Captain'], 'Star Patrol', 'A caped space hero with a comet-tail cape.'),
              (@knight, @studio, 'Nebula Knight', array['Knight of the Nebula'], 'Star Patrol', 'An armoured knight who rides a nebula.'),
              (@luma, @studio, 'Luma the Fox', array['Luma'], 'Forest Tales', 'A glowing orange fox.'),
              (@rex, @studio, 'Robo Rex', array['RoboRex', 'Rex the Robot'], 'Tin Town', 'A friendly robot dinosaur.')
            """,
            new { comet, knight, luma, rex, studio });
        await conn.ExecuteAsync(
            """
            insert into grants (id, character_id, tenant_id, rights_holder_id, kind, revenue_share_bps, attribution_required) values
              (@g1, @knight, @tenant, @studio, 'allow_with_revenue_share', 1500, true),
              (@g2, @luma, @tenant, @studio, 'allow', null, false),
              (@g3, @rex, @tenant, @studio, 'deny', null, false)
            """,
            new { g1 = Guid.NewGuid(), g2 = Guid.NewGuid(), g3 = Guid.NewGuid(), knight, luma, rex, tenant, studio });

        // A person who has registered their likeness, and a public figure nobody may depict without consent.
        var person = Guid.NewGuid();
        await conn.ExecuteAsync(
            """
            insert into likeness_profiles (id, display_name, name_variants, handles) values (@person, 'Ada Quill', array['Ada Q.'], array['@adaquill']);
            insert into likeness_consents (id, profile_id, mode, allowed_tenants) values (@consent, @person, 'tenant', array[@tenant]);
            insert into public_figures (id, name, aliases) values (@figure, 'President Orla Brennan', array['Orla Brennan']);
            """,
            new { person, consent = Guid.NewGuid(), tenant, figure = Guid.NewGuid() });

        var created = new List<(string Env, string Key)>
        {
            ("ADMIN_KEY", (await keys.CreateAsync("demo admin", Roles.Admin, null, null, default)).Key),
            ("PLATFORM_KEY", (await keys.CreateAsync("demo platform", Roles.Platform, tenant, null, default)).Key),
            ("RIGHTS_HOLDER_KEY", (await keys.CreateAsync("demo studios", Roles.RightsHolder, null, studio, default)).Key),
            ("AUDITOR_KEY", (await keys.CreateAsync("demo auditor", Roles.Auditor, null, null, default)).Key),
            ("LIKENESS_OWNER_KEY", (await keys.CreateAsync("Ada Quill", Roles.LikenessOwner, null, null, default, person)).Key),
        };

        var text = new StringBuilder();
        foreach (var (name, key) in created)
        {
            text.Append("export ").Append(name).Append('=').AppendLine(key);
        }

        var file = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PathsOptions>>().Value.InData("demo-keys.env");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, text.ToString());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Printed once, to the console only: keys are never written to the log.
        Console.WriteLine();
        Console.WriteLine("Demo data created. API keys (shown once; also saved to " + file + "):");
        Console.Write(text.ToString());
        Console.WriteLine();
    }
}
