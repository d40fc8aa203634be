using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages;

/// <summary>Error pages for people: the status code stays the original one (the page is re-executed, not redirected to).</summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]  // re-executed for POSTs too, e.g. after a refused form
internal sealed class StatusModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Detail { get; private set; } = "";

    public IActionResult OnGet(int code) => Show(code);

    public IActionResult OnPost(int code) => Show(code);

    private PageResult Show(int code)
    {
        (Title, Detail) = code switch
        {
            400 => ("The request was refused", "The form could not be accepted: it was sent without this console's anti-forgery token, or it has expired. Open the page again and resend it."),
            403 => ("Not for this key", "Your key's role may not open this page."),
            404 => ("Not found", "There is nothing here, or nothing your key may see."),
            _ => ("Something went wrong", $"The console answered {code}."),
        };
        // A direct visit answers the code it names; a re-executed error keeps its own.
        if (HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is null)
        {
            Response.StatusCode = code is >= 400 and < 600 ? code : StatusCodes.Status404NotFound;
        }

        return Page();
    }
}
