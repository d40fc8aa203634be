using System.Collections.Frozen;
using System.Globalization;

namespace Compliance.Settlements;

/// <summary>
/// The ISO 4217 currencies settlements accept, with their minor units (the number of decimal places of one minor unit).
/// An explicit table, not <see cref="RegionInfo"/>: .NET's region data is culture data (it says 0 decimals for HUF and
/// TWD where ISO 4217 says 2, and knows nothing of a currency no culture uses), and the service runs with invariant
/// globalization. A code outside this table is refused, never guessed.
/// </summary>
public static class Currencies
{
    private static readonly FrozenDictionary<string, int> MinorUnits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        // Three decimals.
        ["BHD"] = 3, ["IQD"] = 3, ["JOD"] = 3, ["KWD"] = 3, ["LYD"] = 3, ["OMR"] = 3, ["TND"] = 3,
        // No minor unit in use.
        ["BIF"] = 0, ["CLP"] = 0, ["DJF"] = 0, ["GNF"] = 0, ["ISK"] = 0, ["JPY"] = 0, ["KMF"] = 0, ["KRW"] = 0,
        ["PYG"] = 0, ["RWF"] = 0, ["UGX"] = 0, ["VND"] = 0, ["VUV"] = 0, ["XAF"] = 0, ["XOF"] = 0, ["XPF"] = 0,
        // Two decimals.
        ["AED"] = 2, ["ARS"] = 2, ["AUD"] = 2, ["BGN"] = 2, ["BRL"] = 2, ["CAD"] = 2, ["CHF"] = 2, ["CNY"] = 2,
        ["COP"] = 2, ["CZK"] = 2, ["DKK"] = 2, ["EGP"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["HKD"] = 2, ["HUF"] = 2,
        ["IDR"] = 2, ["ILS"] = 2, ["INR"] = 2, ["KES"] = 2, ["MAD"] = 2, ["MXN"] = 2, ["MYR"] = 2, ["NGN"] = 2,
        ["NOK"] = 2, ["NZD"] = 2, ["PEN"] = 2, ["PHP"] = 2, ["PKR"] = 2, ["PLN"] = 2, ["QAR"] = 2, ["RON"] = 2,
        ["SAR"] = 2, ["SEK"] = 2, ["SGD"] = 2, ["THB"] = 2, ["TRY"] = 2, ["TWD"] = 2, ["UAH"] = 2, ["USD"] = 2,
        ["ZAR"] = 2,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every accepted code, sorted (for error messages and docs).</summary>
    public static IReadOnlyList<string> Codes { get; } = [.. MinorUnits.Keys.Order(StringComparer.Ordinal)];

    public static bool IsKnown(string? code) => code is not null && MinorUnits.ContainsKey(code);

    /// <summary>The minor units of <paramref name="code"/>; throws for a code outside the table (callers validate first).</summary>
    public static int MinorUnitsOf(string code) =>
        MinorUnits.TryGetValue(code, out var digits) ? digits : throw new ArgumentException($"Unknown currency {code}.", nameof(code));

    /// <summary>
    /// An amount of minor units as a person reads it, with exactly the currency's decimals and a point: 12345 USD is
    /// <c>123.45</c>, 12345 JPY is <c>12345</c>, -5 KWD is <c>-0.005</c>. Integer arithmetic only: no rounding can creep in.
    /// </summary>
    public static string Format(long amountMinor, string code)
    {
        var digits = MinorUnitsOf(code);
        if (digits == 0)
        {
            return amountMinor.ToString(CultureInfo.InvariantCulture);
        }

        var magnitude = amountMinor < 0 ? -(Int128)amountMinor : amountMinor;
        var scale = (Int128)Pow10(digits);
        var whole = (magnitude / scale).ToString(CultureInfo.InvariantCulture);
        var fraction = (magnitude % scale).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
        return (amountMinor < 0 ? "-" : "") + whole + "." + fraction;
    }

    /// <summary>The inverse of <see cref="Format"/>: exactly the currency's decimals, or none at all for a whole amount.</summary>
    public static bool TryParse(string text, string code, out long amountMinor)
    {
        amountMinor = 0;
        var digits = MinorUnitsOf(code);
        var negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        var point = body.IndexOf('.', StringComparison.Ordinal);
        var wholePart = point < 0 ? body : body[..point];
        var fractionPart = point < 0 ? "" : body[(point + 1)..];
        if (wholePart.Length == 0 || !wholePart.All(char.IsAsciiDigit) || !fractionPart.All(char.IsAsciiDigit)
            || (point >= 0 && fractionPart.Length != digits) || (point >= 0 && digits == 0))
        {
            return false;
        }

        if (!long.TryParse(wholePart, NumberStyles.None, CultureInfo.InvariantCulture, out var whole))
        {
            return false;
        }

        var fraction = fractionPart.Length == 0 ? 0 : long.Parse(fractionPart, NumberStyles.None, CultureInfo.InvariantCulture);
        try
        {
            var value = checked((whole * Pow10(digits)) + fraction);
            amountMinor = negative ? -value : value;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static long Pow10(int digits)
    {
        var p = 1L;
        for (var i = 0; i < digits; i++)
        {
            p *= 10;
        }

        return p;
    }
}
