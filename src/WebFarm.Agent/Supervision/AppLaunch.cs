namespace WebFarm.Agent.Supervision;

/// <summary>
/// How to run an app: a program and its arguments (for .NET apps, the dotnet host and the app's dll).
/// Produced once by <see cref="AppLocator"/>; every instance and every restart uses the same launch.
/// </summary>
public sealed record AppLaunch(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory, string AppName)
{
    /// <summary>Runs a framework-dependent .NET app with the dotnet host.</summary>
    public static AppLaunch ForDll(string dllPath)
    {
        var fullPath = Path.GetFullPath(dllPath);
        return new AppLaunch(DotNetHost.Path, [fullPath], Path.GetDirectoryName(fullPath)!, Path.GetFileNameWithoutExtension(fullPath));
    }

    public override string ToString() => $"{FileName} {string.Join(' ', Arguments)}";
}
