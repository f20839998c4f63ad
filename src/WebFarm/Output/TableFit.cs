using System.Net;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace WebFarm.Output;

/// <summary>
/// Fits a table into a width without splitting what must stay whole. Spectre, left alone, shrinks every column by the
/// same ratio and folds words character by character, so a server address came out as "http:…" or cut over two lines.
/// Here: the first column (the row's name) and any column holding an address (a URL, host:port, an IP) keep their
/// whole width; the other columns are narrowed, widest first, down to <see cref="MinimumWidth"/>, their cells wrapping
/// at spaces and a word that still does not fit ending in "…". If the kept columns alone are wider than the terminal,
/// the table is drawn as wide as they need (the terminal folds the line; the address itself is whole).
/// </summary>
internal static class TableFit
{
    /// <summary>The narrowest a shrinkable column gets: three characters and the ellipsis still hint at what it held.</summary>
    public const int MinimumWidth = 4;

    /// <summary>Sets column widths and cell overflow on <paramref name="table"/>; returns the width to draw it at.</summary>
    public static int Apply(Table table, IAnsiConsole console, int width)
    {
        var columns = table.Columns.Count;
        var options = RenderOptions.Create(console, console.Profile.Capabilities);
        var natural = new int[columns];
        var kept = new bool[columns];
        for (var i = 0; i < columns; i++)
        {
            natural[i] = Math.Max(natural[i], NaturalWidth(table.Columns[i].Header, options));
            kept[i] = i == 0;
        }

        foreach (var row in table.Rows)
        {
            var i = 0;
            foreach (var cell in row)
            {
                if (cell is IOverflowable overflowable)
                {
                    overflowable.Overflow = Overflow.Ellipsis;
                }

                natural[i] = Math.Max(natural[i], NaturalWidth(cell, options));
                i++;
            }
        }

        var texts = CellTexts(table, options);
        for (var i = 0; i < columns; i++)
        {
            kept[i] |= texts[i].Exists(IsAddress);
        }

        // Each column has one space of padding either side and one border line; the table one more border line.
        var overhead = (3 * columns) + 1;
        var widths = (int[])natural.Clone();
        var total = widths.Sum() + overhead;
        while (total > width)
        {
            var widest = -1;
            for (var i = 0; i < columns; i++)
            {
                if (!kept[i] && widths[i] > MinimumWidth && (widest < 0 || widths[i] > widths[widest]))
                {
                    widest = i;
                }
            }

            if (widest < 0)
            {
                break;
            }

            widths[widest]--;
            total--;
        }

        for (var i = 0; i < columns; i++)
        {
            table.Columns[i].Width = widths[i];
            table.Columns[i].NoWrap = kept[i];
        }

        return Math.Max(total, width);
    }

    /// <summary>
    /// A value that must never be cut: an absolute URL ("http://10.0.0.11:5000/"), an IPv4 or IPv6 address with or
    /// without a port, or host:port ("db.example.com:5432"). Strict on purpose: "1.1", "0.00" or "10:00:00" are not.
    /// </summary>
    public static bool IsAddress(string text)
    {
        var value = text.Trim();
        if (value.Length == 0 || value.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            return Uri.TryCreate(value, UriKind.Absolute, out _);
        }

        if (value.Count(c => c == '.') == 3 || value.Count(c => c == ':') >= 2)
        {
            return IPEndPoint.TryParse(value, out _);
        }

        var colon = value.LastIndexOf(':');
        return colon > 0
            && ushort.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port > 0
            && value[..colon].Any(char.IsLetter)
            && Uri.CheckHostName(value[..colon]) == UriHostNameType.Dns;
    }

    private static int NaturalWidth(IRenderable renderable, RenderOptions options)
        => renderable.Measure(options, Terminal.UnboundedWidth).Max;

    /// <summary>Each column's cells as plain text (markup and colour dropped), for <see cref="IsAddress"/>.</summary>
    private static List<string>[] CellTexts(Table table, RenderOptions options)
    {
        var texts = new List<string>[table.Columns.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = [];
        }

        foreach (var row in table.Rows)
        {
            var i = 0;
            foreach (var cell in row)
            {
                texts[i++].Add(string.Concat(cell.Render(options, Terminal.UnboundedWidth).Where(s => !s.IsControlCode).Select(s => s.Text)));
            }
        }

        return texts;
    }
}
