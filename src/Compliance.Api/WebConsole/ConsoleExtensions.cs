using System.Reflection;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Compliance.Api.WebConsole;

/// <summary>
/// The web console (ADR-019): server-rendered Razor Pages under <c>/console</c>, served by the API host, signed in with
/// an API key held in a cookie session (<see cref="ConsoleSession"/>). No scripts: every page works without JavaScript,
/// and the Content-Security-Policy forbids them.
/// </summary>
internal static class ConsoleExtensions
{
    public const string PathPrefix = "/console";

    /// <summary>No scripts, no inline styles, no framing, forms only to this origin.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static WebApplicationBuilder AddComplianceConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(o => o.RootDirectory = "/WebConsole/Pages");
        builder.Services.AddScoped<ConsoleSession>();
        builder.Services.AddSingleton<Decisions.DecisionStatistics>();
        builder.Services.AddSingleton<ConsoleReviews>();
        builder.Services.AddOptions<ConsoleSignInOptions>().BindConfiguration(ConsoleSignInOptions.Section)
            .Validate(o => o.RefusalsPerWindow is >= 1 and <= 10_000, "Console:SignIn:RefusalsPerWindow must be between 1 and 10000.")
            .Validate(o => o.Window > TimeSpan.Zero && o.Window <= TimeSpan.FromDays(1), "Console:SignIn:Window must be positive and at most a day.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddAuthentication()
            .AddCookie(ConsoleSession.Scheme, o =>
            {
                o.Cookie.Name = "compliance_console";
                o.Cookie.Path = PathPrefix;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;  // Secure whenever the console is served over HTTPS
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.LoginPath = PathPrefix + "/sign-in";
                o.LogoutPath = PathPrefix + "/sign-out";
                o.ReturnUrlParameter = "returnUrl";
                o.EventsType = typeof(ConsoleSession);
            });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "compliance_console_af";
            o.Cookie.Path = PathPrefix;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
        });
        // Session cookies must open on every node: the data-protection keys live in the data folder all nodes share
        // (as the checkpoint key does), not in each machine's home folder.
        builder.Services.AddDataProtection().SetApplicationName("Compliance");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<PathsOptions>, ILoggerFactory>((o, paths, logs) =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(paths.Value.InData("console-keys")), logs));
        return builder;
    }

    /// <summary>Security headers on every console answer, and human-readable error pages instead of problem JSON.</summary>
    public static WebApplication UseConsole(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(PathPrefix), console =>
        {
            console.Use((http, next) =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
                return next(http);
            });
            // An empty error answer (403 for the wrong role, 400 for a form without its token, 404) becomes a page people can
            // read, with the same status code; pages that render their own errors (a bad filter, a refused key) keep them.
            console.UseStatusCodePages(context => ErrorPage.WriteAsync(context.HttpContext));
        });
        return app;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapGet(PathPrefix + "/assets/console.css", Stylesheet).AllowAnonymous().ExcludeFromDescription();
        app.MapConsoleMedia();
        return app;
    }

    private static readonly Lazy<string> Css = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Compliance.Api.WebConsole.console.css")
            ?? throw new InvalidOperationException("The console stylesheet is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static IResult Stylesheet(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Text(Css.Value, "text/css; charset=utf-8");
    }

    /// <summary>Which scheme a request authenticates with: console pages by their session cookie, everything else by API key.</summary>
    public static string SchemeFor(HttpContext http) =>
        http.Request.Path.StartsWithSegments(PathPrefix) ? ConsoleSession.Scheme : ApiKeyAuthenticationHandler.SchemeName;
}
