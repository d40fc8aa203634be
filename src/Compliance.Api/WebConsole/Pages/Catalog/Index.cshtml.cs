using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.References;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Catalog;

/// <summary>The rights holder's characters with their aliases and reference images (thumbnails), read as the API reads them.</summary>
[Authorize(Policy = Roles.RightsHolder)]
internal sealed class IndexModel(NpgsqlDataSource db) : PageModel
{
    public IReadOnlyList<Character> Characters { get; private set; } = [];

    public ILookup<Guid, Reference> References { get; private set; } = Array.Empty<Reference>().ToLookup(r => r.CharacterId);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var holder = User.RequiredRightsHolderId();
        await using var conn = await db.OpenConnectionAsync(ct);
        Characters = await CharacterQueries.ListAsync(conn, holder, ct);
        References = (await ReferenceQueries.ListForHolderAsync(conn, holder, ct)).ToLookup(r => r.CharacterId);
    }
}
