using System.Diagnostics;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Turns what the user points at into an <see cref="AppLaunch"/>: a .csproj is built once in Release and
/// its output dll is run; a .dll is run as is; a folder holds either one project or one published app
/// (the single dll with a runtimeconfig.json next to it).
/// </summary>
public static class AppLocator
{
    /// <param name="path">A .csproj, a .dll or a folder.</param>
    /// <param name="progress">Receives one line per step ("building …"), for the console.</param>
    /// <exception cref="AppResolutionException">The path does not lead to a runnable app, or the build failed.</exception>
    public static async Task<AppLaunch> ResolveAsync(string path, Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);

        if (Directory.Exists(fullPath))
        {
            return await ResolveFolderAsync(fullPath, progress, cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(fullPath))
        {
            throw new AppResolutionException($"app '{path}': no such file or folder.");
        }

        return Path.GetExtension(fullPath).ToLowerInvariant() switch
        {
            ".csproj" => await BuildAsync(fullPath, progress, cancellationToken).ConfigureAwait(false),
            ".dll" => ResolveDll(fullPath),
            _ => throw new AppResolutionException($"app '{path}': expected a .csproj, a .dll or a folder."),
        };
    }

    private static async Task<AppLaunch> ResolveFolderAsync(string folder, Action<string>? progress, CancellationToken cancellationToken)
    {
        var projects = Directory.GetFiles(folder, "*.csproj");
        if (projects.Length == 1)
        {
            return await BuildAsync(projects[0], progress, cancellationToken).ConfigureAwait(false);
        }

        if (projects.Length > 1)
        {
            throw new AppResolutionException($"app '{folder}': the folder holds {projects.Length} projects ({string.Join(", ", projects.Select(Path.GetFileName))}); pass the .csproj to run.");
        }

        return ResolvePublished(folder);
    }

    /// <summary>
    /// A published app in <paramref name="folder"/>: the one .dll with a .runtimeconfig.json next to it (libraries have
    /// none). Used for folders given to `webfarm up` and for releases an agent runs.
    /// </summary>
    /// <exception cref="AppResolutionException">No such .dll, or more than one.</exception>
    public static AppLaunch ResolvePublished(string folder)
    {
        var apps = Directory.GetFiles(folder, "*.runtimeconfig.json")
            .Select(config => Path.Combine(folder, Path.GetFileName(config)[..^".runtimeconfig.json".Length] + ".dll"))
            .Where(File.Exists)
            .ToArray();
        return apps.Length switch
        {
            1 => AppLaunch.ForDll(apps[0]),
            0 => throw new AppResolutionException($"app '{folder}': found no .csproj and no app dll (a .dll with a .runtimeconfig.json next to it)."),
            _ => throw new AppResolutionException($"app '{folder}': found {apps.Length} app dlls ({string.Join(", ", apps.Select(Path.GetFileName))}); pass the .dll to run."),
        };
    }

    private static AppLaunch ResolveDll(string dll)
    {
        var config = Path.ChangeExtension(dll, ".runtimeconfig.json");
        if (!File.Exists(config))
        {
            throw new AppResolutionException($"app '{dll}': no {Path.GetFileName(config)} next to it; is it a class library rather than an app?");
        }

        return AppLaunch.ForDll(dll);
    }

    private static async Task<AppLaunch> BuildAsync(string project, Action<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Invoke($"building {project} (Release)…");
        // No node reuse: MSBuild worker nodes would otherwise outlive us as stray processes.
        var build = await RunDotNetAsync(["build", project, "-c", "Release", "-nologo", "-v:q", "-nodeReuse:false", "-clp:NoSummary;ErrorsOnly"], cancellationToken).ConfigureAwait(false);
        if (build.ExitCode != 0)
        {
            throw new AppResolutionException($"app '{project}': the build failed (dotnet build exited with {build.ExitCode}):{Environment.NewLine}{Tail(build.Output, 20)}");
        }

        var query = await RunDotNetAsync(["msbuild", project, "-nologo", "-p:Configuration=Release", "-getProperty:TargetPath"], cancellationToken).ConfigureAwait(false);
        var targetPath = query.Output.Trim();
        if (query.ExitCode != 0 || targetPath.Length == 0 || !File.Exists(targetPath))
        {
            throw new AppResolutionException($"app '{project}': built, but could not find its output dll ('{targetPath}').");
        }

        return ResolveDll(targetPath);
    }

    private static async Task<(int ExitCode, string Output)> RunDotNetAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };

        // Through the spawner, so that a build does not outlive us either.
        var launch = new AppLaunch(DotNetHost.Path, arguments, Environment.CurrentDirectory, "dotnet");
        Process process;
        try
        {
            process = await ProcessSpawner.Shared.StartAsync(launch, environment, redirectOutput: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new AppResolutionException($"could not start '{DotNetHost.Path}': {ex.Message}", ex);
        }

        using (process)
        {
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
                ProcessSignals.Kill(process);
                throw;
            }
        }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}
