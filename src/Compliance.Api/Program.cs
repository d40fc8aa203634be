using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Decisions;
using Compliance.Api.Generations;
using Compliance.Api.Grants;
using Compliance.Api.Infrastructure;
using Compliance.Api.Likeness;
using Compliance.Api.Names;
using Compliance.Api.Policies;
using Compliance.Api.Recordings;
using Compliance.Api.References;
using Compliance.Api.Reviews;
using Compliance.Api.Screening;
using Compliance.Api.Settlements;
using Compliance.Api.WebConsole;
using Scalar.AspNetCore;

if (ReplayCommand.IsInvoked(args))
{
    return await ReplayCommand.RunAsync(args, Console.Out);   // `-- replay ...`: policy replay from the command line
}

var builder = WebApplication.CreateBuilder(args);

builder.AddComplianceDatabase();       // embedded local Postgres unless a connection string is configured
builder.AddCompliancePolicies();       // policies/*.policy.yaml, validated, hot-reloaded
builder.AddComplianceScreening();      // catalog index, classifiers, grant ledger, policy engine, decision log
builder.AddComplianceDecisionLog();    // signed checkpoints of the log's head: at an interval, on demand, copied to a file
builder.AddComplianceGenerations();    // the gated pipeline: jobs on clustered Quartz, generators, provenance, callbacks
builder.AddComplianceSettlements();    // revenue intake, the settlement job on the same Quartz store, statements
builder.AddComplianceReviews();        // the review queue, appeals, policy replay
builder.AddComplianceAccess();         // API keys (hashed at rest) and one policy per role
builder.AddComplianceConsole();        // the web console: Razor Pages under /console, signed in with a key held in a cookie session
builder.AddComplianceHttp();           // problem details, validation, request limits, OpenAPI
builder.AddComplianceObservability();  // health checks, metrics, traces

var app = builder.Build();

await app.InitializeDatabaseAsync();   // migrations as the owner role, demo data, name claims, catalog load

app.UseExceptionHandler();
app.UseRouting();
app.UseStatusCodePages();              // empty 401/403/404s become problem details too
app.UseConsole();                      // console pages: security headers (a strict CSP), and error pages people can read
app.UseRequestLimits();                // oversized bodies get a 413, unknown charsets a 415, before they are read
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi().AllowAnonymous();
app.MapScalarApiReference().AllowAnonymous();
app.MapPrometheusScrapingEndpoint().AllowAnonymous();
app.MapHealth();

app.MapScreening();                    // platforms: POST /v1/screen/prompt
app.MapCharacters();                   // rights holders: their catalog
app.MapReferences();                   // rights holders: reference images and hashes of their characters
app.MapRecordings();                   // rights holders: recordings and their reference fingerprints
app.MapGrants();                       // rights holders: grants, denials, revocations (characters and recordings)
app.MapDecisions();                    // auditors (and platforms, for their own): the decision log
app.MapReviews();                      // auditors: the review queue (claims, notes, resolutions); platforms: appeals
app.MapPolicyReplay();                 // auditors and admins: a candidate policy set against recorded decisions
app.MapLikeness();                     // likeness owners: their profile, consent, and decisions about them
app.MapEnrolments();                   // likeness owners: enrolled face images
app.MapAdmin();                        // admins: tenants, rights holders, keys
app.MapPeopleAdmin();                  // admins: likeness profiles, public figures
app.MapNameAdmin();                    // admins: who owns a name, shared names, flagged duplicates
app.MapGenerations();                  // platforms: generate a video; only output that passed both gates is released
app.MapProvenance();                   // signed provenance of released videos, verification, public keys
app.MapGenerationFeeds();              // rights holders: usage of their characters; likeness owners: generations of them
app.MapRevenue();                      // platforms: revenue of released generations, in all-or-nothing batches
app.MapStatements();                   // rights holders: settlement statements, lines, CSV and an earnings chart
app.MapSettlementAdmin();              // admins: periods, runs by hand, closing, reconciliation
app.MapConsole();                      // people: auditors, rights holders and likeness owners, in a browser

await app.RunAsync();
return 0;

/// <summary>Entry point; public so WebApplicationFactory can host it in tests.</summary>
public partial class Program;
