namespace WebFarm.Balancer.Statistics;

/// <summary>HTTP status classes as counted by the statistics: 1xx..5xx, and "other" for codes outside 100-599.</summary>
internal static class StatusClass
{
    public const int Count = 6;

    // Index 0 is "other"; 1..5 are the classes. Preallocated so tagging a metric does not build a string.
    private static readonly string[] s_names = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"];

    public static int IndexOf(int statusCode) => statusCode is >= 100 and <= 599 ? statusCode / 100 : 0;

    public static string NameOf(int index) => s_names[index];
}
