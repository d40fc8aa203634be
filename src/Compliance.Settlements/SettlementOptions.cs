using System.ComponentModel.DataAnnotations;

namespace Compliance.Settlements;

/// <summary>Settlement settings (section <c>Settlements</c>); validated at start.</summary>
public sealed class SettlementOptions
{
    public const string Section = "Settlements";

    /// <summary>The length of a settlement period (UTC calendar periods). Periods already created keep their bounds.</summary>
    public PeriodLength Period { get; set; } = PeriodLength.Daily;

    /// <summary>
    /// When the settlement job runs (a Quartz cron expression, UTC): each run settles every period that has ended and
    /// is not yet settled. The default, 01:00 every day, gives revenue of the day before an hour to arrive on time.
    /// </summary>
    [Required]
    public string Cron { get; set; } = "0 0 1 * * ?";

    /// <summary>How a revenue line is split between several characters of one video (ADR-011).</summary>
    public SplitRule SplitRule { get; set; } = SplitRule.SecondsOnScreen;

    /// <summary>The most lines one <c>POST /v1/revenue</c> batch may carry.</summary>
    [Range(1, 10_000)]
    public int MaxBatchLines { get; set; } = 1000;

    /// <summary>How far in the future (by this server's clock) a line's <c>occurredAt</c> may be: platforms' clocks drift.</summary>
    public TimeSpan FutureTolerance { get; set; } = TimeSpan.FromMinutes(5);
}
