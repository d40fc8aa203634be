using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages;

/// <summary>Ends the session: a POST with the form's anti-forgery token (a link or another site cannot sign you out).</summary>
[AllowAnonymous]
internal sealed class SignOutModel : PageModel
{
    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Redirect(ConsoleExtensions.PathPrefix) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsoleSession.Scheme);
        return RedirectToPage();
    }
}
