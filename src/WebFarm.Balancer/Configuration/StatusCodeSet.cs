using System.Globalization;
using System.Text;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// An immutable set of HTTP status codes written as "200-399" or "500,502-504". Lookup is a bit test,
/// so it is cheap enough for the per-response path (passive health, expected health status).
/// </summary>
public sealed class StatusCodeSet
{
    private const int Min = 100;
    private const int Max = 599;
    private readonly ulong[] _bits = new ulong[((Max - Min) / 64) + 1];
    private readonly string _text;

    private StatusCodeSet(string text) => _text = text;

    public static StatusCodeSet Parse(string text)
        => TryParse(text, out var set, out var error) ? set : throw new FormatException(error);

    public static bool TryParse(string? text, out StatusCodeSet set, out string error)
    {
        set = new StatusCodeSet(text?.Trim() ?? string.Empty);
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a status list is required, like \"200-399\" or \"500,502-504\"";
            return false;
        }

        var normalized = new StringBuilder();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var lowText = dash < 0 ? part : part[..dash].Trim();
            var highText = dash < 0 ? part : part[(dash + 1)..].Trim();
            if (!int.TryParse(lowText, NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !int.TryParse(highText, NumberStyles.None, CultureInfo.InvariantCulture, out var high))
            {
                error = $"\"{part}\" in \"{text}\" is not a status code or range (use \"200\" or \"200-399\")";
                return false;
            }

            if (low < Min || high > Max || low > high)
            {
                error = $"\"{part}\" in \"{text}\" is out of range: status codes go from {Min} to {Max}, low to high";
                return false;
            }

            for (var code = low; code <= high; code++)
            {
                set._bits[(code - Min) >> 6] |= 1UL << ((code - Min) & 63);
            }
        }

        error = string.Empty;
        return true;
    }

    public bool Contains(int statusCode)
    {
        var index = statusCode - Min;
        return (uint)index <= Max - Min && (_bits[index >> 6] & (1UL << (index & 63))) != 0;
    }

    public override string ToString() => _text;
}
