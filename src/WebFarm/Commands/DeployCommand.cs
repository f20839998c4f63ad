using System.CommandLine;
using System.Globalization;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Releases.Packaging;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm deploy APP PATH [--message TEXT]`: packages PATH (folder, .zip, .tar.gz, or a .csproj published first),
/// uploads what the controller lacks and creates the app's next release, which the agents then install. Exit codes:
/// 0 created, 1 refused (the package or the controller's reason) or unreachable, 2 bad arguments.
/// </summary>
internal static class DeployCommand
{
    /// <summary>An upload of a large file on a slow link; the controller's own limits bound the size.</summary>
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(30);

    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app's name (1-64 letters, digits, '-', '_', '.')." };
        var path = new Argument<string>("PATH") { Description = "A folder, a .zip, a .tar.gz, or a .csproj (published with `dotnet publish -c Release` first)." };
        var message = new Option<string?>("--message", "-m") { Description = "What this release changes (shown by `webfarm releases`)." };
        var command = new Command("deploy", "Upload a release of an app to the controller: only files it does not have yet are sent; the agents install it.")
        {
            app, path, message, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => UploadAsync(parseResult, "webfarm deploy", TreeInstaller.ReleaseKind, parseResult.GetValue(app)!, parseResult.GetValue(path)!, parseResult.GetValue(message), ct));
        return command;
    }

    /// <summary>Packages and uploads a release or a content set version (shared by `deploy` and `content push`).</summary>
    public static Task<int> UploadAsync(ParseResult parseResult, string command, string kind, string name, string path, string? message, CancellationToken ct)
        => ApiConnection.ControllerAsync(parseResult, command, async api =>
        {
            LocalPackage package;
            try
            {
                package = await PackageReader.ReadAsync(path, TreeLimits.Default, Console.Out, ct);
            }
            catch (TreeRefusedException ex)
            {
                Console.Error.WriteLine($"{command}: refused: {ex.Message}");
                return 1;
            }

            using (package)
            {
                try
                {
                    var result = await ReleaseUploader.UploadAsync(await api.LeaderHttpAsync(ct), kind, name, message, package, ct);
                    var what = kind == TreeInstaller.ContentKind ? $"content set {name} version {result.Id}" : $"release {result.Id} of {name}";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {package.Manifest.Files.Count} files, {package.Manifest.TotalSize()} bytes, {result.Changed} changed; sent {result.BlobsSent} files ({result.BytesSent} bytes)"));
                    return 0;
                }
                catch (ReleaseUploadException ex)
                {
                    Console.Error.WriteLine($"{command}: {ex.Message}");
                    return 1;
                }
            }
        }, UploadTimeout);
}
