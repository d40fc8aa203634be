using Compliance.Api.Access;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages;

/// <summary>The console's home: where each role starts.</summary>
internal sealed class IndexModel : PageModel
{
    public List<(string Href, string Text)> Links { get; } = [];

    public void OnGet()
    {
        if (User.IsInRole(Roles.Auditor))
        {
            Links.AddRange([("/console/decisions", "Decisions, with filters and evidence"), ("/console/reviews", "The review queue"),
                ("/console/charts", "Decisions over time"), ("/console/chain", "Verify the decision log"), ("/console/replay", "Replay a candidate policy set against history")]);
        }
        else if (User.IsInRole(Roles.Admin))
        {
            Links.Add(("/console/replay", "Replay a candidate policy set against history"));
        }
        else if (User.IsInRole(Roles.Platform))
        {
            Links.Add(("/console/decisions", "Your platform's decisions"));
        }

        if (User.IsInRole(Roles.RightsHolder))
        {
            Links.AddRange([("/console/catalog", "Your characters and references"), ("/console/grants", "Grants and their history"),
                ("/console/statements", "Usage and settlement statements")]);
        }

        if (User.IsInRole(Roles.LikenessOwner))
        {
            Links.Add(("/console/likeness", "Your consent, and every decision and generation that involved you"));
        }
    }
}
