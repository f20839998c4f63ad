using System.Globalization;

namespace WebFarm.Balancer.Configuration;

/// <summary>How a value is written in the configuration file (JSON text), for the defaults the key descriptions show.</summary>
internal static class ConfigValueText
{
    public const string Null = "null";

    public static string String(string? value) => value is null ? Null : "\"" + value + "\"";

    public static string Bool(bool value) => value ? "true" : "false";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Int(int? value) => value is { } n ? Int(n) : Null;

    public static string Duration(TimeSpan value) => String(DurationParser.Format(value));

    public static string Enum<TEnum>(TEnum value)
        where TEnum : struct, System.Enum => String(value.ToString());

    public static string List(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(String)) + "]";
}
