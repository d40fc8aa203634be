namespace Compliance.Settlements;

/// <summary>How long one settlement period is. Periods are UTC calendar periods.</summary>
public enum PeriodLength
{
    Daily,

    /// <summary>ISO weeks: Monday 00:00 UTC to the next Monday.</summary>
    Weekly,

    Monthly,
}

/// <summary>A settlement period: <c>[Start, End)</c> in UTC.</summary>
public readonly record struct PeriodBounds(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}

public static class SettlementPeriods
{
    /// <summary>The calendar period of <paramref name="length"/> that contains <paramref name="instant"/>.</summary>
    public static PeriodBounds Containing(DateTimeOffset instant, PeriodLength length)
    {
        var utc = instant.ToUniversalTime();
        var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        return length switch
        {
            PeriodLength.Daily => new PeriodBounds(day, day.AddDays(1)),
            PeriodLength.Weekly => Week(day),
            PeriodLength.Monthly => new PeriodBounds(new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
                new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1)),
            _ => throw new ArgumentOutOfRangeException(nameof(length), length, null),
        };
    }

    private static PeriodBounds Week(DateTimeOffset day)
    {
        var sinceMonday = ((int)day.DayOfWeek + 6) % 7;
        var start = day.AddDays(-sinceMonday);
        return new PeriodBounds(start, start.AddDays(7));
    }
}
