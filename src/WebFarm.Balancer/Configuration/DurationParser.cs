using System.Globalization;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Parses durations written as "250ms", "5s", "20m", "1h", "1d" (one number and one unit) or as
/// TimeSpan strings ("00:00:05"). Config files are written by people, so the short form is the norm.
/// </summary>
public static class DurationParser
{
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a duration is required, like \"5s\", \"250ms\", \"20m\" or \"00:00:05\"";
            return false;
        }

        var s = text.Trim();
        var unitStart = s.Length;
        while (unitStart > 0 && char.IsAsciiLetter(s[unitStart - 1]))
        {
            unitStart--;
        }

        if (unitStart < s.Length && unitStart > 0)
        {
            var unit = s[unitStart..];
            double multiplierMs = unit switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => -1,
            };
            if (multiplierMs < 0)
            {
                error = $"unknown duration unit '{unit}' in \"{text}\" (use ms, s, m, h or d)";
                return false;
            }

            if (!double.TryParse(s.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                || double.IsNaN(number) || double.IsInfinity(number))
            {
                error = $"\"{text}\" is not a duration: expected a non-negative number before '{unit}'";
                return false;
            }

            var ms = number * multiplierMs;
            if (ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                error = $"\"{text}\" is too long a duration";
                return false;
            }

            value = TimeSpan.FromMilliseconds(ms);
            error = string.Empty;
            return true;
        }

        if (TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero)
        {
            error = string.Empty;
            return true;
        }

        error = $"\"{text}\" is not a duration: use a number with a unit (\"250ms\", \"5s\", \"20m\", \"1h\") or \"hh:mm:ss\"";
        return false;
    }

    public static string Format(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        if (value.Ticks % TimeSpan.TicksPerMinute != 0 || value == TimeSpan.Zero)
        {
            return ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        }

        return value.Ticks % TimeSpan.TicksPerHour != 0
            ? ((long)value.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m"
            : ((long)value.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
    }
}
