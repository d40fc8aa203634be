using System.Globalization;
using System.Xml.Linq;
using Compliance.Api.Decisions;

namespace Compliance.Api.WebConsole;

/// <summary>
/// A stacked bar chart of daily decision counts as SVG markup: presentation attributes only (no style attributes, which
/// the console's CSP forbids), a title for screen readers, and a table beside it on the page as the text alternative.
/// </summary>
internal static class DecisionChart
{
    private const int Width = 760;
    private const int Height = 260;
    private const int Left = 56;
    private const int Bottom = 32;
    private const int Top = 12;

    /// <summary>Colours for outcomes; rules take the palette in order (the page's legend uses the same order).</summary>
    public static readonly Dictionary<string, string> OutcomeColours = new(StringComparer.Ordinal) { ["allow"] = "#1d6b35", ["review"] = "#c27c0e", ["block"] = "#9b1c1c" };

    public static readonly string[] Palette = ["#0b4f9c", "#9b1c1c", "#1d6b35", "#c27c0e", "#6a3d9a", "#4a5360"];

    public static string Render(string title, IReadOnlyList<DateTime> days, IReadOnlyList<string> series, IReadOnlyList<DailyCount> counts, Func<string, int, string> colour)
    {
        XNamespace svg = "http://www.w3.org/2000/svg";
        var byDay = counts.GroupBy(c => c.Day.Date).ToDictionary(g => g.Key, g => g.ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal));
        var max = Math.Max(1, days.Select(d => byDay.TryGetValue(d, out var s) ? s.Where(p => series.Contains(p.Key)).Sum(p => p.Value) : 0).DefaultIfEmpty(0).Max());
        var plotW = Width - Left - 8;
        var plotH = Height - Top - Bottom;
        var slot = days.Count == 0 ? plotW : (double)plotW / days.Count;
        var root = new XElement(svg + "svg",
            new XAttribute("xmlns", svg.NamespaceName), new XAttribute("class", "chart"), new XAttribute("role", "img"),
            new XAttribute("width", Width), new XAttribute("height", Height), new XAttribute("viewBox", $"0 0 {Width} {Height}"),
            new XElement(svg + "title", title),
            new XElement(svg + "rect", new XAttribute("x", 0), new XAttribute("y", 0), new XAttribute("width", Width), new XAttribute("height", Height), new XAttribute("fill", "#ffffff")),
            new XElement(svg + "line", A("x1", Left), A("y1", Top + plotH), A("x2", Width - 8), A("y2", Top + plotH), new XAttribute("stroke", "#1b1f24")),
            new XElement(svg + "text", A("x", Left - 6), A("y", Top + 10), new XAttribute("text-anchor", "end"), new XAttribute("font-size", 12), new XAttribute("fill", "#1b1f24"), max.ToString(CultureInfo.InvariantCulture)),
            new XElement(svg + "text", A("x", Left - 6), A("y", Top + plotH), new XAttribute("text-anchor", "end"), new XAttribute("font-size", 12), new XAttribute("fill", "#1b1f24"), "0"));
        for (var i = 0; i < days.Count; i++)
        {
            var y = (double)(Top + plotH);
            if (byDay.TryGetValue(days[i], out var day))
            {
                for (var s = 0; s < series.Count; s++)
                {
                    if (!day.TryGetValue(series[s], out var n) || n == 0)
                    {
                        continue;
                    }

                    var h = plotH * n / (double)max;
                    y -= h;
                    root.Add(new XElement(svg + "rect", A("x", Left + (i * slot) + (slot * 0.15)), A("y", y), A("width", Math.Max(1, slot * 0.7)), A("height", h),
                        new XAttribute("fill", colour(series[s], s)),
                        new XElement(svg + "title", $"{days[i]:yyyy-MM-dd}: {series[s]} {n}")));
                }
            }

            if (days.Count <= 14 || i % (days.Count / 7) == 0)
            {
                root.Add(new XElement(svg + "text", A("x", Left + (i * slot) + (slot / 2)), A("y", Height - 10), new XAttribute("text-anchor", "middle"),
                    new XAttribute("font-size", 11), new XAttribute("fill", "#1b1f24"), days[i].ToString("MM-dd", CultureInfo.InvariantCulture)));
            }
        }

        return root.ToString(SaveOptions.DisableFormatting);
    }

    private static XAttribute A(string name, double value) => new(name, Math.Round(value, 2).ToString(CultureInfo.InvariantCulture));
}
