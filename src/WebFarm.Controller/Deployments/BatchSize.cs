using System.Globalization;

namespace WebFarm.Controller.Deployments;

/// <summary>How many servers a deployment rolls at once: a number (<c>2</c>) or a share of the app's servers (<c>25%</c>, rounded up).</summary>
public readonly record struct BatchSize(int Value, bool Percent)
{
    public static readonly BatchSize One = new(1, false);

    /// <summary>Servers per batch for an app on <paramref name="servers"/> servers (at least 1).</summary>
    public int For(int servers) => Percent ? Math.Max(1, (int)Math.Ceiling(servers * Value / 100.0)) : Value;

    /// <summary>"N" (1 or more) or "N%" (1-100).</summary>
    /// <exception cref="FormatException">The reason, naming the text.</exception>
    public static BatchSize Parse(string text)
    {
        var percent = text.EndsWith('%');
        var digits = percent ? text[..^1] : text;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || (percent && value > 100))
        {
            throw new FormatException($"'{text}' is not a number of servers (1 or more) or a percentage of them (1% to 100%), like 1, 2 or 25%");
        }

        return new BatchSize(value, percent);
    }

    public override string ToString() => Percent ? string.Create(CultureInfo.InvariantCulture, $"{Value}%") : Value.ToString(CultureInfo.InvariantCulture);
}
