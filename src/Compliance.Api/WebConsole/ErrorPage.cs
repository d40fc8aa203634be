using System.Text.Encodings.Web;

namespace Compliance.Api.WebConsole;

/// <summary>
/// The console's error page, written directly (not re-executed through routing): the request's own status code, a title
/// and a sentence, in the console's layout with its landmarks, so it is as readable and accessible as any page.
/// </summary>
internal static class ErrorPage
{
    public static Task WriteAsync(HttpContext http)
    {
        var code = http.Response.StatusCode;
        var (title, detail) = code switch
        {
            400 => ("The request was refused", "The form could not be accepted: it was sent without this console's anti-forgery token, or the token has expired. Open the page again and resend the form."),
            403 => ("Not for this key", "Your key's role may not open this page."),
            404 => ("Not found", "There is nothing here, or nothing your key may see."),
            _ => ("Something went wrong", $"The console answered {code}."),
        };
        var html = HtmlEncoder.Default;
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{html.Encode(title)} · Compliance console</title><link rel="stylesheet" href="{ConsoleExtensions.PathPrefix}/assets/console.css"></head>
            <body>
            <a class="skip-link" href="#main">Skip to main content</a>
            <header class="site"><a class="brand" href="{ConsoleExtensions.PathPrefix}">Compliance console</a></header>
            <main id="main" tabindex="-1"><h1>{html.Encode(title)}</h1><p>{html.Encode(detail)}</p><p><a href="{ConsoleExtensions.PathPrefix}">Back to the console</a></p></main>
            </body>
            </html>
            """);
    }
}
