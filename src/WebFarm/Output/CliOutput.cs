using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace WebFarm.Output;

/// <summary>
/// The one output rule of every list and status command: `--output table|json`, tables that fit the terminal
/// (<see cref="TableFit"/>: names and addresses whole, other cells wrapped at spaces or cut with "…"), colour by <see cref="Terminal"/>'s rule, JSON as the API's own document. Commands call this instead of
/// <see cref="AnsiConsole"/> or writing JSON themselves.
/// </summary>
internal static class CliOutput
{
    private const string TableName = "table";
    private const string JsonName = "json";

    // Relaxed escaping: the output is read by scripts and people, not embedded in HTML, so '+' in a time offset or '<'
    // in a message stays itself rather than "\u002B".
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Lazy<IAnsiConsole> StandardOutput = new(() => CreateConsole(System.Console.Out, Terminal.Current));

    /// <summary>`--output table|json` (`-o`), added to every list and status command.</summary>
    public static readonly Option<string> FormatOption = CreateFormatOption();

    /// <summary>Standard output as a Spectre console that follows the rule (colour, width).</summary>
    public static IAnsiConsole Console => StandardOutput.Value;

    public static OutputFormat Format(ParseResult parseResult)
        => parseResult.GetValue(FormatOption) == JsonName ? OutputFormat.Json : OutputFormat.Table;

    /// <summary>
    /// With `--output json`, writes <paramref name="document"/> (indented, then a newline) and returns true: the
    /// command has printed its result. Otherwise returns false and the command prints its table.
    /// </summary>
    public static bool TryWriteJson(ParseResult parseResult, JsonElement document)
    {
        if (Format(parseResult) != OutputFormat.Json)
        {
            return false;
        }

        WriteJson(document, Indented);
        return true;
    }

    /// <summary>One element of a stream as one line (NDJSON), flushed so a reader sees it at once.</summary>
    public static void WriteJsonLine(JsonElement element) => WriteJson(element, Compact);

    /// <summary>Writes a table (or any renderable) to standard output by the rule.</summary>
    public static void Write(IRenderable renderable) => Write(Console, renderable);

    /// <summary>Writes one line of Spectre markup; colour is dropped where the rule says so.</summary>
    public static void MarkupLine(string markup) => Console.MarkupLine(markup);

    /// <summary>A console on <paramref name="writer"/> for <paramref name="terminal"/>: no escape byte unless it may colour.</summary>
    public static IAnsiConsole CreateConsole(TextWriter writer, Terminal terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal.Colour ? AnsiSupport.Yes : AnsiSupport.No,
            // 16 colours are all the tables use, and every terminal has them (no guessing from TERM/COLORTERM).
            ColorSystem = terminal.Colour ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = terminal.IsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = terminal.TableWidth;
        return console;
    }

    /// <summary>Writes <paramref name="renderable"/>; a table is first fitted to the console's width (<see cref="TableFit"/>).</summary>
    public static void Write(IAnsiConsole console, IRenderable renderable)
    {
        if (renderable is not Table table)
        {
            console.Write(renderable);
            return;
        }

        var width = console.Profile.Width;
        console.Profile.Width = TableFit.Apply(table, console, width);
        try
        {
            console.Write(table);
        }
        finally
        {
            console.Profile.Width = width;
        }
    }

    private static void WriteJson(JsonElement element, JsonWriterOptions options)
    {
        var stdout = System.Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, options))
        {
            element.WriteTo(writer);
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }

    private static Option<string> CreateFormatOption()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: table (for people) or json (the API's document, for scripts; see docs/cli.md).",
            DefaultValueFactory = _ => TableName,
            HelpName = "table|json",
        };
        option.AcceptOnlyFromAmong(TableName, JsonName);
        return option;
    }
}
