using System.Xml.Linq;

namespace Compliance.Settlements.Tests;

public sealed class CurrencyAndPeriodTests
{
    [Theory]
    [InlineData(12345, "USD", "123.45")]
    [InlineData(-5, "USD", "-0.05")]
    [InlineData(0, "EUR", "0.00")]
    [InlineData(12345, "JPY", "12345")]
    [InlineData(-5, "KWD", "-0.005")]
    [InlineData(1_000_000_000_000_000, "BHD", "1000000000000.000")]
    [InlineData(long.MinValue, "USD", "-92233720368547758.08")]
    public void AmountsAreFormattedWithTheCurrencysMinorUnits(long minor, string currency, string expected) =>
        Assert.Equal(expected, Currencies.Format(minor, currency));

    [Fact]
    public void FormattedAmountsParseBackToTheSameMinorUnitsInEveryCurrency()
    {
        var random = new Random(7);
        foreach (var code in Currencies.Codes)
        {
            for (var i = 0; i < 500; i++)
            {
                var minor = random.NextInt64(-Allocation.MaxAmountMinor, Allocation.MaxAmountMinor);
                Assert.True(Currencies.TryParse(Currencies.Format(minor, code), code, out var back));
                Assert.Equal(minor, back);
            }
        }
    }

    [Theory]
    [InlineData("1.5", "USD")]
    [InlineData("1.005", "USD")]
    [InlineData("1.0", "JPY")]
    [InlineData("1,00", "EUR")]
    [InlineData("", "EUR")]
    [InlineData("abc", "EUR")]
    public void AmountsInTheWrongPrecisionDoNotParse(string text, string currency) =>
        Assert.False(Currencies.TryParse(text, currency, out _));

    [Fact]
    public void UnknownCodesAreNotGuessed()
    {
        Assert.False(Currencies.IsKnown("usd"));
        Assert.False(Currencies.IsKnown("XXX"));
        Assert.False(Currencies.IsKnown(null));
        Assert.Throws<ArgumentException>(() => Currencies.Format(1, "ABC"));
        Assert.Equal(2, Currencies.MinorUnitsOf("HUF")); // ISO 4217, not culture data
        Assert.Equal(0, Currencies.MinorUnitsOf("KRW"));
        Assert.Equal(3, Currencies.MinorUnitsOf("OMR"));
    }

    [Fact]
    public void PeriodsAreUtcCalendarDaysWeeksAndMonths()
    {
        var instant = DateTimeOffset.Parse("2026-03-04T23:30:00-05:00", System.Globalization.CultureInfo.InvariantCulture); // 2026-03-05T04:30Z, a Thursday
        Assert.Equal(new PeriodBounds(Utc("2026-03-05"), Utc("2026-03-06")), SettlementPeriods.Containing(instant, PeriodLength.Daily));
        Assert.Equal(new PeriodBounds(Utc("2026-03-02"), Utc("2026-03-09")), SettlementPeriods.Containing(instant, PeriodLength.Weekly));
        Assert.Equal(new PeriodBounds(Utc("2026-03-01"), Utc("2026-04-01")), SettlementPeriods.Containing(instant, PeriodLength.Monthly));
        Assert.Equal(new PeriodBounds(Utc("2026-03-09"), Utc("2026-03-16")), SettlementPeriods.Containing(Utc("2026-03-09"), PeriodLength.Weekly));
    }

    [Fact]
    public void TheEarningsChartIsAccessibleSvgWithEveryFigureInItsDescription()
    {
        var svg = EarningsChart.Render("USD", [(Utc("2026-03-02"), 12345), (Utc("2026-03-01"), -50), (Utc("2026-03-03"), 0)]);
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal("img", doc.Root!.Attribute("role")!.Value);
        Assert.Equal("Earnings by period (USD)", doc.Root.Element(ns + "title")!.Value);
        var desc = doc.Root.Element(ns + "desc")!.Value;
        Assert.Contains("2026-03-01 -0.50", desc, StringComparison.Ordinal);
        Assert.Contains("2026-03-02 123.45", desc, StringComparison.Ordinal);
        Assert.Contains("total 122.95", desc, StringComparison.Ordinal);
        Assert.Equal(3, doc.Root.Elements(ns + "rect").Count());
        Assert.Contains(doc.Root.Elements(ns + "text"), t => t.Value == "123.45");
    }

    private static DateTimeOffset Utc(string day) => DateTimeOffset.Parse(day + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
}
