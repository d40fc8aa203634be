namespace Compliance.Settlements;

/// <summary>How one revenue line is split between several licensed characters of the same video (ADR-011).</summary>
public enum SplitRule
{
    /// <summary>Each character's part is weighted by its seconds on screen; equal parts when no character has any.</summary>
    SecondsOnScreen,

    /// <summary>Every character of the video gets an equal part.</summary>
    Equal,
}

/// <summary>
/// One claimant on a revenue line: a licensed character of the video, whose rights holder is paid
/// <see cref="Bps"/> basis points of the character's part of the line.
/// </summary>
/// <param name="Key">The character's id: what ties are broken on, so the order parties are given in never matters.</param>
/// <param name="Bps">The grant's revenue share, 0–10,000 basis points.</param>
/// <param name="Seconds">Seconds on screen, as the frame gate measured them.</param>
public readonly record struct Party(Guid Key, int Bps, double Seconds);

/// <summary>
/// The allocation of one revenue line, in integer minor units: pure, exact and deterministic.
/// <para>
/// Each character <c>i</c> has an integer weight <c>wᵢ</c> (milliseconds on screen, or 1 under the equal rule or when
/// no character has any seconds). Its rights holder's exact claim is <c>|amount| · wᵢ/W · bpsᵢ/10,000</c>; the
/// platform's exact claim is what is left. Claims are rationals over the common denominator <c>D = W · 10,000</c>,
/// computed in 128-bit integers. Every party (holders and the platform) first gets the floor of its claim; the
/// minor units still unallocated — fewer than the number of parties — go one each to the largest remainders
/// (Hamilton's method). Ties go to holders before the platform, and between holders to the smaller character id.
/// So the holders' amounts plus the platform's equal the line exactly, no amount is negative for a non-negative
/// line, a party whose claim is zero gets zero, and the result does not depend on the order of the parties.
/// A negative line (an adjustment) is allocated on its magnitude and negated, so a reversal cancels the original
/// allocation to the unit.
/// </para>
/// </summary>
public static class Allocation
{
    public const int FullShareBps = 10_000;

    /// <summary>The largest magnitude of one revenue line (10¹⁵ minor units): far beyond any real line, far inside 128-bit arithmetic.</summary>
    public const long MaxAmountMinor = 1_000_000_000_000_000;

    /// <summary>The integer weight of a character under <paramref name="rule"/>, before the equal-shares fallback: milliseconds on screen.</summary>
    public static long WeightOf(SplitRule rule, double seconds) =>
        rule == SplitRule.Equal ? 1 : (long)Math.Round(Math.Max(0, seconds) * 1000, MidpointRounding.AwayFromZero);

    /// <summary>Allocates <paramref name="amount"/> between <paramref name="parties"/> and the platform; writes each party's amount to <paramref name="shares"/> and returns the platform's.</summary>
    public static long Allocate(long amount, ReadOnlySpan<Party> parties, SplitRule rule, Span<long> shares)
    {
        if (shares.Length < parties.Length)
        {
            throw new ArgumentException("One share slot per party is needed.", nameof(shares));
        }

        if (amount is > MaxAmountMinor or < -MaxAmountMinor)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, $"A revenue line is at most {MaxAmountMinor} minor units.");
        }

        var n = parties.Length;
        if (n == 0)
        {
            return amount;
        }

        Span<long> weights = n <= 64 ? stackalloc long[n] : new long[n];
        Int128 totalWeight = 0;
        for (var i = 0; i < n; i++)
        {
            if (parties[i].Bps is < 0 or > FullShareBps)
            {
                throw new ArgumentOutOfRangeException(nameof(parties), parties[i].Bps, "A revenue share is 0–10,000 basis points.");
            }

            weights[i] = WeightOf(rule, parties[i].Seconds);
            totalWeight += weights[i];
        }

        if (totalWeight == 0)
        {
            // Nobody was seen on screen (only the prompt named them): the documented fallback is equal parts.
            weights.Fill(1);
            totalWeight = n;
        }

        var magnitude = (Int128)Math.Abs(amount);
        var denominator = totalWeight * FullShareBps;
        Span<Int128> remainders = n <= 64 ? stackalloc Int128[n] : new Int128[n];
        Int128 claimed = 0, floors = 0;
        for (var i = 0; i < n; i++)
        {
            var numerator = checked(magnitude * weights[i] * parties[i].Bps);
            claimed += numerator;
            shares[i] = (long)(numerator / denominator);
            remainders[i] = numerator % denominator;
            floors += shares[i];
        }

        var platformNumerator = (magnitude * denominator) - claimed;
        var platform = (long)(platformNumerator / denominator);
        var platformRemainder = platformNumerator % denominator;
        var units = (long)(magnitude - floors - platform);

        // Holders by remainder, largest first, ties by character id: an insertion sort of indices (n is small).
        Span<int> order = n <= 64 ? stackalloc int[n] : new int[n];
        for (var i = 0; i < n; i++)
        {
            var j = i;
            while (j > 0 && Before(parties[i].Key, remainders[i], parties[order[j - 1]].Key, remainders[order[j - 1]]))
            {
                order[j] = order[j - 1];
                j--;
            }

            order[j] = i;
        }

        var platformPlaced = false;
        foreach (var i in order)
        {
            if (units == 0)
            {
                break;
            }

            if (!platformPlaced && platformRemainder > remainders[i])
            {
                platform++;
                units--;
                platformPlaced = true;
                if (units == 0)
                {
                    break;
                }
            }

            shares[i]++;
            units--;
        }

        if (units > 0 && !platformPlaced)
        {
            platform++;
            units--;
        }

        if (units != 0)
        {
            throw new InvalidOperationException("Largest-remainder allocation did not place every unit; this is a bug.");
        }

        if (amount < 0)
        {
            for (var i = 0; i < n; i++)
            {
                shares[i] = -shares[i];
            }

            platform = -platform;
        }

        return platform;
    }

    private static bool Before(Guid key, Int128 remainder, Guid otherKey, Int128 otherRemainder) =>
        remainder > otherRemainder || (remainder == otherRemainder && key.CompareTo(otherKey) < 0);
}
