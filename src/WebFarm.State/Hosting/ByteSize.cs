using System.Globalization;

namespace WebFarm.State.Hosting;

/// <summary>Parses memory sizes the way Redis's config does: 100, 100b, 1k (1000), 1kb (1024), 100mb, 2gb.</summary>
public static class ByteSize
{
    public static bool TryParse(string? text, out long bytes, out string? error)
    {
        bytes = 0;
        error = null;
        var value = text?.Trim().ToLowerInvariant() ?? string.Empty;
        var digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(value.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = $"'{text}' is not a size: expected a number with an optional unit (b, k, kb, m, mb, g, gb), e.g. 100mb";
            return false;
        }

        long multiplier = value[digits..] switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000L * 1000 * 1000,
            "gb" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0)
        {
            error = $"'{text}' has an unknown unit '{value[digits..]}': use b, k, kb, m, mb, g or gb";
            return false;
        }

        if (number > long.MaxValue / multiplier)
        {
            error = $"'{text}' is too large";
            return false;
        }

        bytes = number * multiplier;
        return true;
    }
}
