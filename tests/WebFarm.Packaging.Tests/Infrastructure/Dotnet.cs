using System.Diagnostics;

namespace WebFarm.Packaging.Tests.Infrastructure;

/// <summary>Runs an installed `webfarm` (an apphost, framework-dependent) with this test run's .NET as its runtime.</summary>
internal static class Dotnet
{
    /// <summary>The .NET installation running the tests (…/dotnet, holding shared/Microsoft.NETCore.App).</summary>
    public static string Root { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    /// <summary>Runs <paramref name="program"/> with DOTNET_ROOT set, so an apphost finds the runtime wherever .NET is installed.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ROOT"] = Root;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return ProcessRunner.RunToEndAsync(start);
    }
}
