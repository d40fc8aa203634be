using Compliance.Api.Access;
using Compliance.Api.Generations;
using Compliance.Api.Settlements;
using Compliance.Settlements;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Statements;

/// <summary>The rights holder's usage (what settlements pay for) and statements, with the earnings chart per currency.</summary>
[Authorize(Policy = Roles.RightsHolder)]
internal sealed class IndexModel(NpgsqlDataSource db) : PageModel
{
    public const int Shown = 100;

    public IReadOnlyList<StatementView> Statements { get; private set; } = [];

    public IReadOnlyList<EarningsChartView> Charts { get; private set; } = [];

    public IReadOnlyList<UsageEventView> Usage { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var holder = User.RequiredRightsHolderId();
        await using var conn = await db.OpenConnectionAsync(ct);
        var statements = await Compliance.Settlements.Statements.ListAsync(conn, holder, Shown, ct);
        Statements = [.. statements.Select(StatementView.Of)];
        Charts = [.. statements.GroupBy(s => s.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new EarningsChartView(g.Key, EarningsChart.Render(g.Key, [.. g.Select(s => (s.PeriodStart, s.AmountMinor))])))];
        Usage = await GenerationFeeds.UsageAsync(conn, holder, Shown, ct);
    }
}
