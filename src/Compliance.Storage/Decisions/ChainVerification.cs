namespace Compliance.Storage.Decisions;

/// <summary>How the chain was found broken.</summary>
public enum ChainBreak
{
    None,

    /// <summary>Sequence numbers skip, or a vouched-for entry is gone: entries were deleted.</summary>
    Missing,

    /// <summary>An entry's previous-hash does not match the entry before it: deleted, replaced or moved.</summary>
    Unlinked,

    /// <summary>An entry's content does not produce its stored hash.</summary>
    Edited,

    /// <summary>The log ends before an entry a checkpoint or an auditor vouched for.</summary>
    Truncated,

    /// <summary>An entry is internally consistent but its hash differs from the one vouched for: rewritten and rehashed.</summary>
    Rewritten,
}

/// <summary>An entry someone vouches for: its sequence number and hash, and who vouched (for messages).</summary>
public sealed record ChainAnchor(long Seq, byte[] HeadSha256, string Source);

/// <summary>What the walk saw at a sequence number it was asked to watch.</summary>
public sealed record WatchedEntry(byte[] EntrySha256, Guid Id, Guid TenantId);

/// <summary>Result of re-walking the chain: how far it held, and the first entry that did not.</summary>
public sealed record ChainVerification(bool Intact, long EntriesChecked, long? FirstBadSeq, Guid? FirstBadId, string? Problem)
{
    public ChainBreak Break { get; init; }

    /// <summary>The tenant of the first bad entry, when there is one to name (not for deleted entries).</summary>
    public Guid? FirstBadTenantId { get; init; }

    /// <summary>The last entry the walk accepted (0 when none), and its hash.</summary>
    public long LastSeq { get; init; }

    public byte[] LastSha256 { get; init; } = new byte[32];

    /// <summary>How many of the accepted entries belong to the tenant the walk was asked to count.</summary>
    public long TenantEntriesChecked { get; init; }

    /// <summary>The watched sequence numbers the walk reached intact, with what it found there.</summary>
    public IReadOnlyDictionary<long, WatchedEntry> Watched { get; init; } = new Dictionary<long, WatchedEntry>();
}
