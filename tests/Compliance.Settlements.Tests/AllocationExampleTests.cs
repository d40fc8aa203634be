namespace Compliance.Settlements.Tests;

/// <summary>The allocation on lines small enough to work out by hand.</summary>
public sealed class AllocationExampleTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");

    [Fact]
    public void ACharacterOnScreenThreeTimesAsLongEarnsThreeTimesAsMuch()
    {
        var shares = new long[2];
        var platform = Allocation.Allocate(1000, [new Party(A, 5000, 3.0), new Party(B, 5000, 1.0)], SplitRule.SecondsOnScreen, shares);
        Assert.Equal([375, 125], shares);
        Assert.Equal(500, platform);
    }

    [Fact]
    public void WhenNoCharacterWasSeenOnScreenThePartsAreEqual()
    {
        var shares = new long[2];
        Allocation.Allocate(1000, [new Party(A, 5000, 0), new Party(B, 5000, 0)], SplitRule.SecondsOnScreen, shares);
        Assert.Equal([250, 250], shares);
    }

    [Fact]
    public void TheEqualRuleIgnoresSecondsOnScreen()
    {
        var shares = new long[2];
        Allocation.Allocate(1000, [new Party(A, 5000, 3.0), new Party(B, 5000, 1.0)], SplitRule.Equal, shares);
        Assert.Equal([250, 250], shares);
    }

    [Fact]
    public void LeftoverUnitsGoToTheLargestRemaindersIncludingThePlatforms()
    {
        // 3 units, two holders at 50 % of half each: exact claims 0.75, 0.75 and the platform's 1.5. Floors 0, 0, 1;
        // two units left go to the two largest remainders (0.75, 0.75), not to the platform's 0.5.
        var shares = new long[2];
        var platform = Allocation.Allocate(3, [new Party(A, 5000, 0), new Party(B, 5000, 0)], SplitRule.Equal, shares);
        Assert.Equal([1, 1], shares);
        Assert.Equal(1, platform);

        // 1 unit: claims 0.25, 0.25, platform 0.5 — the platform's remainder is largest.
        platform = Allocation.Allocate(1, [new Party(A, 5000, 0), new Party(B, 5000, 0)], SplitRule.Equal, shares);
        Assert.Equal([0, 0], shares);
        Assert.Equal(1, platform);
    }

    [Fact]
    public void ATieBetweenHoldersGoesToTheSmallerCharacterIdWhicheverOrderTheyCome()
    {
        var shares = new long[2];
        Allocation.Allocate(1, [new Party(B, 10_000, 0), new Party(A, 10_000, 0)], SplitRule.Equal, shares);
        Assert.Equal([0, 1], shares);
        Allocation.Allocate(1, [new Party(A, 10_000, 0), new Party(B, 10_000, 0)], SplitRule.Equal, shares);
        Assert.Equal([1, 0], shares);
    }

    [Fact]
    public void ATieBetweenAHolderAndThePlatformGoesToTheHolder()
    {
        // One holder at 50 %: 1 unit → claims 0.5 and 0.5.
        var shares = new long[1];
        var platform = Allocation.Allocate(1, [new Party(A, 5000, 2.0)], SplitRule.SecondsOnScreen, shares);
        Assert.Equal(1, shares[0]);
        Assert.Equal(0, platform);
    }

    [Fact]
    public void ALineWithoutLicensedCharactersIsThePlatformsAlone()
    {
        Assert.Equal(12345, Allocation.Allocate(12345, [], SplitRule.SecondsOnScreen, []));
    }

    [Fact]
    public void AmountsBeyondTheLimitAndSharesOutsideZeroToTenThousandAreRefused()
    {
        var shares = new long[1];
        Assert.Throws<ArgumentOutOfRangeException>(() => Allocation.Allocate(Allocation.MaxAmountMinor + 1, [new Party(A, 5000, 1)], SplitRule.Equal, shares));
        Assert.Throws<ArgumentOutOfRangeException>(() => Allocation.Allocate(10, [new Party(A, 10_001, 1)], SplitRule.Equal, shares));
        Assert.Throws<ArgumentOutOfRangeException>(() => Allocation.Allocate(10, [new Party(A, -1, 1)], SplitRule.Equal, shares));
    }
}
