using System.Diagnostics;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Runs the real `webfarm` CLI (src/WebFarm, built in the same configuration as the tests) as a child process.</summary>
public static class WebfarmProcess
{
    /// <summary>Runs `webfarm ARGS` to completion (killed after 60 s) with plain, wide output; returns its exit code and both streams.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(RepositoryPaths.WebFarmDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        return ProcessRunner.RunToEndAsync(start);
    }
}
