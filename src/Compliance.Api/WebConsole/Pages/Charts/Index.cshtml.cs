using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages.Charts;

/// <summary>Decisions per day over the last N days (7 to 90), by outcome and by rule: server-drawn SVG with tables beside.</summary>
[Authorize(Policy = Roles.Auditor)]
internal sealed class IndexModel(DecisionStatistics statistics, TimeProvider clock) : PageModel
{
    /// <summary>How many rules get their own colour; the rest are summed into "other rules".</summary>
    public const int TopRules = 5;

    public static readonly int[] Windows = [7, 30, 90];

    public int Days { get; private set; } = 30;

    public List<DateTime> DayList { get; } = [];

    public IReadOnlyList<DailyCount> ByOutcome { get; private set; } = [];

    public IReadOnlyList<DailyCount> ByRule { get; private set; } = [];

    public List<string> Rules { get; } = [];

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(int? days, CancellationToken ct)
    {
        if (days is { } d && !Windows.Contains(d))
        {
            Error = "days must be 7, 30 or 90.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Days = days ?? 30;
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var from = today.AddDays(-(Days - 1));
        DayList.AddRange(Enumerable.Range(0, Days).Select(i => from.AddDays(i)));
        var counts = await statistics.CountAsync(User.TenantId(), from, Days, ct);
        ByOutcome = counts.ByOutcome;
        var byRule = counts.ByRule;
        Rules.AddRange(byRule.GroupBy(c => c.Key).OrderByDescending(g => g.Sum(c => c.Count)).ThenBy(g => g.Key, StringComparer.Ordinal).Take(TopRules).Select(g => g.Key));
        ByRule = [.. byRule.Select(c => Rules.Contains(c.Key) ? c : c with { Key = "other rules" })
            .GroupBy(c => (c.Day, c.Key)).Select(g => new DailyCount { Day = g.Key.Day, Key = g.Key.Key, Count = g.Sum(c => c.Count) })];
        if (ByRule.Any(c => c.Key == "other rules"))
        {
            Rules.Add("other rules");
        }

        return Page();
    }

    public long Count(IReadOnlyList<DailyCount> counts, DateTime day, string key) =>
        counts.Where(c => c.Day.Date == day && c.Key == key).Sum(c => c.Count);
}
