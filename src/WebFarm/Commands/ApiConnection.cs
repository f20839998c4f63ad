using System.CommandLine;
using WebFarm.Agent.Control;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// The one way the admin commands reach an API (a balancer's admin API or the controller's): the base URL from an
/// option, a variable or the default; the bearer token from --token or $WEBFARM_TOKEN; exit code 2 for a bad URL,
/// 1 when the API cannot be reached or does not answer in time.
/// </summary>
internal static class ApiConnection
{
    // The one table of exit codes is Output/ExitCodes; these names read better in the API commands.
    public const int Ok = ExitCodes.Ok;
    public const int ApiError = ExitCodes.Failed;
    public const int BadArguments = ExitCodes.BadArguments;

    public const string DefaultController = "http://127.0.0.1:8070";

    public static readonly Option<string> ControllerOption = new("--controller")
    {
        Description = $"Controller API URL, or a leader/standby pair as URL,URL (default: $WEBFARM_CONTROLLER or {DefaultController}).",
    };

    public static readonly Option<string> TokenOption = new("--token")
    {
        Description = "Bearer token for the API (default: $WEBFARM_TOKEN).",
    };

    /// <summary>Runs <paramref name="body"/> against the controller(s) named by --controller, following the leader of a pair.</summary>
    public static Task<int> ControllerAsync(ParseResult parseResult, string command, Func<AdminClient, Task<int>> body, TimeSpan? timeout = null)
    {
        IReadOnlyList<Uri> baseUris;
        try
        {
            baseUris = ControllerUrls.Parse(parseResult.GetValue(ControllerOption) ?? Environment.GetEnvironmentVariable("WEBFARM_CONTROLLER") ?? DefaultController);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"{command}: {ex.Message}");
            return Task.FromResult(BadArguments);
        }

        return RunAsync(parseResult, command, baseUris, "controller", body, timeout);
    }

    /// <param name="option">The option the URL came from, for the message about a bad one.</param>
    /// <param name="what">"controller", "admin API": what the URL is, named in the messages when it cannot be reached.</param>
    public static async Task<int> RunAsync(ParseResult parseResult, string command, string option, string url, string what, Func<AdminClient, Task<int>> body, TimeSpan? timeout = null)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"{command}: {option} '{url}' is not an http(s) URL like http://127.0.0.1:8070");
            return BadArguments;
        }

        return await RunAsync(parseResult, command, [baseUri], what, body, timeout);
    }

    private static async Task<int> RunAsync(ParseResult parseResult, string command, IReadOnlyList<Uri> baseUris, string what, Func<AdminClient, Task<int>> body, TimeSpan? timeout)
    {
        var baseUri = string.Join(",", baseUris);
        using var api = new AdminClient(baseUris, parseResult.GetValue(TokenOption) ?? Environment.GetEnvironmentVariable("WEBFARM_TOKEN"), command, timeout, what);
        try
        {
            return await body(api);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"{command}: cannot reach the {what} at {baseUri}, or it refused: {ex.Message}");
            return ApiError;
        }
        catch (TaskCanceledException)
        {
            Console.Error.WriteLine($"{command}: the {what} at {baseUri} did not answer in time");
            return ApiError;
        }
    }
}
