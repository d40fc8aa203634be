using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Matching;

/// <summary>One stored hash within the query radius.</summary>
public readonly record struct PdqMatch(long Id, PdqHash Hash, int Distance);

/// <summary>
/// A set of (id, PDQ hash) entries answering "every stored hash within Hamming distance d of this one".
/// Implementations are safe for any number of concurrent readers alongside writers.
/// </summary>
public interface IPdqIndex
{
    /// <summary>Number of live entries.</summary>
    int Count { get; }

    /// <summary>Stores a hash under an id that is not already present.</summary>
    /// <exception cref="ArgumentException">The id is already present.</exception>
    void Add(long id, PdqHash hash);

    /// <summary>Removes the entry with this id; false if there is none.</summary>
    bool Remove(long id);

    /// <summary>
    /// Every live entry whose hash is within <paramref name="maxDistance"/> bits of <paramref name="query"/>
    /// (inclusive), ordered by distance and then id.
    /// </summary>
    IReadOnlyList<PdqMatch> Query(PdqHash query, int maxDistance);
}
