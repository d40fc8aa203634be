using System.Globalization;
using System.Xml.Linq;

namespace Compliance.Settlements;

/// <summary>
/// A rights holder's earnings by period in one currency, as a server-rendered SVG bar chart: one bar per period
/// (oldest left), labelled axes, a zero line, and for assistive technology a title, a description that states every
/// figure, and a title on each bar. Built with <see cref="XElement"/>, so names and numbers are always escaped.
/// </summary>
public static class EarningsChart
{
    private const int Width = 640, Height = 280, Left = 80, Right = 16, Top = 36, Bottom = 56;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static string Render(string currency, IReadOnlyList<(DateTimeOffset PeriodStart, long AmountMinor)> periods)
    {
        var ordered = periods.OrderBy(p => p.PeriodStart).ToList();
        var title = $"Earnings by period ({currency})";
        var description = ordered.Count == 0
            ? $"No settled statements in {currency} yet."
            : $"{ordered.Count} settled period(s) in {currency}, total {Currencies.Format(ordered.Sum(p => p.AmountMinor), currency)}: "
              + string.Join("; ", ordered.Select(p => $"{Day(p.PeriodStart)} {Currencies.Format(p.AmountMinor, currency)}")) + ".";
        var root = new XElement(Svg + "svg",
            new XAttribute("width", Width), new XAttribute("height", Height), new XAttribute("viewBox", $"0 0 {Width} {Height}"),
            new XAttribute("role", "img"), new XAttribute("aria-labelledby", "chart-title chart-desc"),
            new XElement(Svg + "title", new XAttribute("id", "chart-title"), title),
            new XElement(Svg + "desc", new XAttribute("id", "chart-desc"), description),
            Text(Width / 2, 20, title, "middle", 14));

        var max = Math.Max(0, ordered.Count == 0 ? 0 : ordered.Max(p => p.AmountMinor));
        var min = Math.Min(0, ordered.Count == 0 ? 0 : ordered.Min(p => p.AmountMinor));
        if (max == min)
        {
            max = min + 1;
        }

        var plotHeight = Height - Top - Bottom;
        double Y(long v) => Top + (plotHeight * (double)(max - v) / (max - min));
        var zero = Y(0);
        // Axis labels at the top, zero and the bottom of the range, in the currency's precision.
        foreach (var value in new[] { max, 0L, min }.Distinct())
        {
            root.Add(Text(Left - 6, Y(value) + 4, Currencies.Format(value, currency), "end", 11));
        }

        root.Add(new XElement(Svg + "line", new XAttribute("x1", Left), new XAttribute("x2", Width - Right),
            new XAttribute("y1", F(zero)), new XAttribute("y2", F(zero)), new XAttribute("stroke", "#444")));
        var slot = ordered.Count == 0 ? 0 : (double)(Width - Left - Right) / ordered.Count;
        var labelEvery = Math.Max(1, (int)Math.Ceiling(ordered.Count / 8.0));
        for (var i = 0; i < ordered.Count; i++)
        {
            var (start, amount) = ordered[i];
            var x = Left + (i * slot) + (slot * 0.15);
            var y = Math.Min(Y(amount), zero);
            var h = Math.Max(1, Math.Abs(Y(amount) - zero));
            root.Add(new XElement(Svg + "rect",
                new XAttribute("x", F(x)), new XAttribute("y", F(y)), new XAttribute("width", F(slot * 0.7)), new XAttribute("height", F(h)),
                new XAttribute("fill", amount < 0 ? "#b3261e" : "#1f6feb"),
                new XElement(Svg + "title", $"{Day(start)}: {Currencies.Format(amount, currency)} {currency}")));
            if (i % labelEvery == 0)
            {
                root.Add(Text(x + (slot * 0.35), Height - Bottom + 18, Day(start), "middle", 10));
            }
        }

        root.Add(Text(Width / 2, Height - 10, "Period start (UTC)", "middle", 11));
        return root.ToString(SaveOptions.DisableFormatting);
    }

    private static XElement Text(double x, double y, string text, string anchor, int size) =>
        new(Svg + "text", new XAttribute("x", F(x)), new XAttribute("y", F(y)), new XAttribute("text-anchor", anchor),
            new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", size), text);

    private static string Day(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
