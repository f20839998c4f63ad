using System.CommandLine;
using WebFarm.Agent.Control;

namespace WebFarm.Commands;

/// <summary>
/// What every command that talks to the controller API shares: --controller and --token (with their environment
/// defaults) and running a body against an <see cref="AdminClient"/>, unreachable or refused → exit 1, bad URL → 2.
/// </summary>
internal static class ControllerCommandLine
{
    public static readonly Option<string> ControllerOption = new("--controller")
    {
        Description = "Controller API URL, or a leader/standby pair as URL,URL (default: $WEBFARM_CONTROLLER or http://127.0.0.1:8070).",
    };

    public static readonly Option<string> TokenOption = new("--token")
    {
        Description = "Bearer token for the controller API (default: $WEBFARM_TOKEN).",
    };

    public static async Task<int> Run(ParseResult parseResult, string name, Func<AdminClient, Task<int>> body, TimeSpan? timeout = null)
    {
        var controller = parseResult.GetValue(ControllerOption) ?? Environment.GetEnvironmentVariable("WEBFARM_CONTROLLER") ?? "http://127.0.0.1:8070";
        IReadOnlyList<Uri> baseUris;
        try
        {
            baseUris = ControllerUrls.Parse(controller);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"{name}: {ex.Message}");
            return 2;
        }

        var baseUri = string.Join(",", baseUris);
        using var api = new AdminClient(baseUris, parseResult.GetValue(TokenOption) ?? Environment.GetEnvironmentVariable("WEBFARM_TOKEN"), name, timeout);
        try
        {
            return await body(api);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"{name}: the controller at {baseUri} refused or cannot be reached: {ex.Message}");
            return 1;
        }
        catch (TaskCanceledException)
        {
            Console.Error.WriteLine($"{name}: the controller at {baseUri} did not answer in time");
            return 1;
        }
    }
}
