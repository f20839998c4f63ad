using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Configuration;

/// <summary>
/// docs/configuration.md's key tables and the reader's key descriptions (ConfigSchema) say the same thing:
/// every key the reader knows has a row showing the default the code uses, and every row names a key the reader knows.
/// </summary>
public class ConfigSchemaDocsTests
{
    [Fact]
    public void Every_described_key_has_a_row_with_its_default_in_docs_configuration_md()
    {
        var rows = KeyRows();
        var problems = new List<string>();
        foreach (var (row, expected) in ConfigSchema.DocumentedDefaults())
        {
            if (!rows.TryGetValue(row, out var cells))
            {
                problems.Add($"`{row}`: no row in a key table");
                continue;
            }

            if (!cells.Exists(cell => Shows(cell, expected)))
            {
                problems.Add($"`{row}`: the default is {expected ?? "— (required)"} in the code, but the docs show {string.Join(" / ", cells)}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_key_row_in_docs_configuration_md_is_a_key_the_reader_knows()
    {
        var known = ConfigSchema.DocumentedDefaults().Select(d => d.Row).ToHashSet(StringComparer.Ordinal);
        var unknown = KeyRows().Keys.Where(row => !known.Contains(row)).ToList();
        Assert.True(unknown.Count == 0, "documented but not read: " + string.Join(", ", unknown));
    }

    [Theory]
    [InlineData("`\"60s\"`", "\"1m\"", true)]
    [InlineData("`\"5s\"`", "\"5s\"", true)]
    [InlineData("`\"5s\"`", "\"6s\"", false)]
    [InlineData("`0` (unlimited)", "0", true)]
    [InlineData("`1`", "10", false)]
    [InlineData("— (required)", null, true)]
    [InlineData("`null`", null, false)]
    [InlineData("— (at least one)", "[]", false)]
    public void A_default_cell_matches_the_same_value_only(string cell, string? expected, bool matches)
        => Assert.Equal(matches, Shows(cell, expected));

    /// <summary>The cell's first code span is the default as JSON text; durations compare by value ("60s" is "1m").</summary>
    private static bool Shows(string cell, string? expected)
    {
        if (expected is null)
        {
            return cell.StartsWith('—');
        }

        if (!cell.StartsWith('`'))
        {
            return false;
        }

        var end = cell.IndexOf('`', 1);
        var shown = end < 0 ? cell[1..] : cell[1..end];
        if (shown == expected)
        {
            return true;
        }

        return IsQuoted(shown) && IsQuoted(expected)
            && DurationParser.TryParse(shown[1..^1], out var a, out _)
            && DurationParser.TryParse(expected[1..^1], out var b, out _)
            && a == b;
    }

    private static bool IsQuoted(string text) => text.Length >= 2 && text[0] == '"' && text[^1] == '"';

    /// <summary>Row name → default cells, from every "| Key | Default | Meaning |" table (any case).</summary>
    private static Dictionary<string, List<string>> KeyRows()
    {
        var rows = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var inKeyTable = false;
        foreach (var line in File.ReadLines(RepositoryPaths.Docs("configuration.md")))
        {
            if (!line.StartsWith('|'))
            {
                inKeyTable = false;
                continue;
            }

            if (line.Replace(" ", string.Empty, StringComparison.Ordinal).StartsWith("|Key|Default|", StringComparison.OrdinalIgnoreCase))
            {
                inKeyTable = true;
                continue;
            }

            var cells = line.Split('|');
            if (!inKeyTable || cells.Length < 4 || !cells[1].Trim().StartsWith('`'))
            {
                continue;
            }

            var name = cells[1].Trim().Trim('`');
            if (!rows.TryGetValue(name, out var list))
            {
                rows[name] = list = [];
            }

            list.Add(cells[2].Trim());
        }

        return rows;
    }
}
