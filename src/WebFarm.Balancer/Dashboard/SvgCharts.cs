using System.Globalization;
using System.Net;
using System.Text;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The dashboard's charts, drawn on the server as SVG (no chart library, nothing to vendor): line charts of the last
/// 15 minutes, the latency histogram and availability timelines. Colours come from classes in dashboard.css (the
/// page's Content-Security-Policy allows no inline styles); every chart has a text title for screen readers.
/// </summary>
internal static class SvgCharts
{
    private const int Width = 520;
    private const int Height = 170;
    private const int Left = 46;
    private const int Right = 8;
    private const int Top = 22;
    private const int Bottom = 22;
    private const int Palette = 8;

    /// <summary>A line per series over [to - span, to]; the y axis starts at 0 and ends at a round number above the highest value.</summary>
    public static string Line(string title, string unit, IReadOnlyList<ChartSeries> series, DateTimeOffset to, TimeSpan span)
    {
        var max = 0.0;
        foreach (var s in series)
        {
            foreach (var (_, value) in s.Points)
            {
                max = Math.Max(max, value);
            }
        }

        var top = NiceCeiling(max);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var from = to - span;
        var svg = Open(title, $"{title}, last {span.TotalMinutes:0} minutes, highest {Format(max)} {unit}");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"chart-title\" x=\"{Left}\" y=\"15\">{Encode(title)} ({Encode(unit)})</text>");
        for (var i = 0; i <= 2; i++)
        {
            var y = Top + (plotHeight * i / 2.0);
            var label = top * (2 - i) / 2;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{Left - 4}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Format(label)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{Left}\" y=\"{Height - 6}\">-{span.TotalMinutes:0} min</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{Width - Right}\" y=\"{Height - 6}\" text-anchor=\"end\">now</text>");
        for (var index = 0; index < series.Count; index++)
        {
            var s = series[index];
            if (s.Points.Count == 0)
            {
                continue;
            }

            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series s{index % Palette}\" points=\"");
            foreach (var (time, value) in s.Points)
            {
                var x = Left + (plotWidth * Math.Clamp((time - from) / span, 0, 1));
                var y = Top + plotHeight - (top <= 0 ? 0 : plotHeight * value / top);
                svg.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
            }

            svg.Append("\"/>");
        }

        // Legend along the bottom, between "-15 min" and "now", one swatch per server.
        var legendX = Left + 70.0;
        for (var index = 0; index < series.Count; index++)
        {
            var name = series[index].Name;
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"swatch s{index % Palette}\" x=\"{legendX:0.#}\" y=\"{Height - 15}\" width=\"9\" height=\"9\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"legend\" x=\"{legendX + 12:0.#}\" y=\"{Height - 6}\">{Encode(name)}</text>");
            legendX += 20 + (name.Length * 8);
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Bars of (label, count); the highest bar fills the height.</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, long Count)> bars)
    {
        long max = 0;
        long total = 0;
        foreach (var (_, count) in bars)
        {
            max = Math.Max(max, count);
            total += count;
        }

        var svg = Open(title, $"{title}: {total} response(s)");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"chart-title\" x=\"{Left}\" y=\"15\">{Encode(title)}</text>");
        const int top = Top + 14; // Room for the count over the highest bar below the title.
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - top - Bottom;
        var slot = bars.Count == 0 ? plotWidth : plotWidth / (double)bars.Count;
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, count) = bars[i];
            var h = max == 0 ? 0 : plotHeight * count / (double)max;
            var x = Left + (slot * i);
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x + 2:0.#}\" y=\"{top + plotHeight - h:0.#}\" width=\"{Math.Max(1, slot - 4):0.#}\" height=\"{h:0.#}\"><title>{Encode(label)}: {count}</title></rect>");
            if (count > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{x + (slot / 2):0.#}\" y=\"{top + plotHeight - h - 3:0.#}\" text-anchor=\"middle\">{count}</text>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{x + (slot / 2):0.#}\" y=\"{Height - 6}\" text-anchor=\"middle\">{Encode(label)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>A horizontal bar of coloured segments over [from, to].</summary>
    public static string Timeline(string title, IReadOnlyList<AvailabilitySegment> segments, DateTimeOffset from, DateTimeOffset to)
    {
        const int height = 22;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"timeline\" viewBox=\"0 0 {Width} {height}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{Encode(title)}\"><title>{Encode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"unobserved\" x=\"0\" y=\"0\" width=\"{Width}\" height=\"{height}\"/>");
        var span = to - from;
        foreach (var segment in segments)
        {
            if (span <= TimeSpan.Zero)
            {
                break;
            }

            var x = Width * ((segment.Start - from) / span);
            var w = Math.Max(1, Width * (segment.Duration / span));
            var status = segment.Status.ToString().ToLowerInvariant();
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"{status}\" x=\"{x:0.##}\" y=\"0\" width=\"{w:0.##}\" height=\"{height}\"><title>{status} {Time(segment.Start)} - {Time(segment.End)}</title></rect>");
        }

        return svg.Append("</svg>").ToString();
    }

    public static string Format(double value) => value switch
    {
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    private static StringBuilder Open(string title, string label)
    {
        var svg = new StringBuilder(4096);
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Encode(label)}\"><title>{Encode(title)}</title>");
        return svg;
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="value"/> (1 for an empty chart).</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in (ReadOnlySpan<double>)[1, 2, 5, 10])
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
