namespace Compliance.Imaging.Embedding;

/// <summary>
/// The best <c>k</c> matches offered so far, by cosine and then by lower id: a min-heap whose root is the weakest kept
/// match. Shared by the exact embedding scans and the face search's re-rank.
/// </summary>
public sealed class TopMatches(int k)
{
    private readonly PriorityQueue<EmbeddingMatch, (float Cosine, long NegatedId)> _heap = new(k + 1);

    /// <summary>Keeps the match if it is among the best <c>k</c> so far.</summary>
    public void Offer(long id, float cosine)
    {
        var priority = (cosine, -id);
        if (_heap.Count < k)
        {
            _heap.Enqueue(new EmbeddingMatch(id, cosine), priority);
        }
        else if (_heap.TryPeek(out _, out var weakest) && priority.CompareTo(weakest) > 0)
        {
            _heap.EnqueueDequeue(new EmbeddingMatch(id, cosine), priority);
        }
    }

    /// <summary>The kept matches, best first; empties the heap.</summary>
    public EmbeddingMatch[] ToArray()
    {
        var result = new EmbeddingMatch[_heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = _heap.Dequeue();
        }

        return result;
    }
}
