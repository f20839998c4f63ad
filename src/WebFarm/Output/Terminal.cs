namespace WebFarm.Output;

/// <summary>
/// What standard output is, decided once per process from the facts below, so every command colours and sizes its
/// output by the same rule: colour only on a terminal, never when NO_COLOR is set (https://no-color.org: any
/// non-empty value) or TERM is "dumb"; tables as wide as the terminal, and not wrapped at all when output goes to a
/// pipe or a file (a script reads whole lines).
/// </summary>
internal sealed record Terminal(bool IsTerminal, bool Colour, int? Width)
{
    /// <summary>The widest a table may be when there is no terminal: no real row is this long, so nothing wraps.</summary>
    public const int UnboundedWidth = 32_767;

    /// <summary>The width assumed when a terminal does not say how wide it is (a pty with no size set).</summary>
    public const int DefaultWidth = 80;

    private static readonly Lazy<Terminal> CurrentTerminal = new(() => Detect(
        Console.IsOutputRedirected,
        Environment.GetEnvironmentVariable,
        () => Console.WindowWidth));

    /// <summary>This process's standard output.</summary>
    public static Terminal Current => CurrentTerminal.Value;

    /// <summary>Table width: the terminal's, or <see cref="UnboundedWidth"/> when not a terminal.</summary>
    public int TableWidth => Width ?? UnboundedWidth;

    /// <param name="outputRedirected">Standard output is a pipe, a file or a socket (journald's stream), not a terminal.</param>
    /// <param name="environment">Reads an environment variable (NO_COLOR, TERM, COLUMNS).</param>
    /// <param name="windowWidth">The terminal's width in columns (0 or an exception when it has none).</param>
    public static Terminal Detect(bool outputRedirected, Func<string, string?> environment, Func<int> windowWidth)
    {
        if (outputRedirected)
        {
            return new Terminal(IsTerminal: false, Colour: false, Width: null);
        }

        var colour = string.IsNullOrEmpty(environment("NO_COLOR"))
            && !string.Equals(environment("TERM"), "dumb", StringComparison.Ordinal);
        return new Terminal(IsTerminal: true, colour, TerminalWidth(environment, windowWidth));
    }

    private static int TerminalWidth(Func<string, string?> environment, Func<int> windowWidth)
    {
        int width;
        try
        {
            width = windowWidth();
        }
        catch (IOException)
        {
            width = 0;
        }

        if (width > 0)
        {
            return width;
        }

        return int.TryParse(environment("COLUMNS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var columns) && columns > 0
            ? columns
            : DefaultWidth;
    }
}
