using Compliance.Api.Access;
using Compliance.Storage.Decisions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages.Chain;

/// <summary>
/// The log's integrity: the latest signed checkpoints (a cheap read), and a button that recomputes the whole chain
/// against them (the same verification as <c>GET /v1/decisions/verify</c>; it reads every entry, so it is not done on GET).
/// </summary>
[Authorize(Policy = Roles.Auditor)]
internal sealed class IndexModel(DecisionCheckpoints checkpoints) : PageModel
{
    public IReadOnlyList<Checkpoint> Checkpoints { get; private set; } = [];

    public AnchoredVerification? Verification { get; private set; }

    /// <summary>A tenant-scoped auditor learns only whether the log holds, as from the API.</summary>
    public bool TenantScoped => User.TenantId() is not null;

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!TenantScoped)
        {
            Checkpoints = (await checkpoints.ListAsync(10, null, ct)).Items;
        }
    }

    public async Task OnPostVerifyAsync(CancellationToken ct)
    {
        Verification = await checkpoints.VerifyAsync([], User.TenantId(), ct);
        await OnGetAsync(ct);
    }
}
