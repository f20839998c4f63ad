using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Releases.Packaging;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm deploy APP PATH [--message TEXT] [--batch N|N%] [--health-timeout 60s] [--drain-timeout 30s]
/// [--health-passes 3] [--strategy rolling|in-place]
/// [--auto-rollback] [--stage [--stage-path /v2]]`: packages PATH (folder, .zip, .tar.gz, or a .csproj published first), uploads what the controller
/// lacks, creates the app's next release and, for an app that runs its releases, rolls it out and follows each server's
/// phase until it ends. With --stage the release is started beside the live one on every server and reached only with
/// the X-WebFarm-Release header or the stage path (`webfarm promote` rolls it out). Exit codes: 0 every server runs the new release (or, for a name that is no such app, the
/// release is stored), 1 refused, failed or unreachable, 2 bad arguments.
/// </summary>
internal static class DeployCommand
{
    /// <summary>An upload of a large file on a slow link; the controller's own limits bound the size.</summary>
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(30);

    public static readonly Option<string> BatchOption = new("--batch") { Description = "Servers per batch: a number, or a percentage of the app's servers (25%).", DefaultValueFactory = _ => "1" };
    public static readonly Option<string> HealthTimeoutOption = new("--health-timeout") { Description = "How long a new instance has to start and pass its health gate (--health-passes in a row).", DefaultValueFactory = _ => "60s" };
    public static readonly Option<string?> DrainTimeoutOption = new("--drain-timeout") { Description = "How long an old instance's requests in flight may take to finish once it is drained, before it is stopped (default 30s; 0s: at once)." };
    public static readonly Option<string?> HealthPassesOption = new("--health-passes") { Description = "The health gate: passes in a row of the app's health path a new instance needs (1-100, default 3)." };
    public static readonly Option<string> StrategyOption = new("--strategy") { Description = "rolling (new instance beside the old, default) or in-place (drain, stop, start, gate).", DefaultValueFactory = _ => "rolling" };

    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app's name (1-64 letters, digits, '-', '_', '.')." };
        var path = new Argument<string>("PATH") { Description = "A folder, a .zip, a .tar.gz, or a .csproj (published with `dotnet publish -c Release` first)." };
        var message = new Option<string?>("--message", "-m") { Description = "What this release changes (shown by `webfarm releases`)." };
        var autoRollback = new Option<bool>("--auto-rollback") { Description = "When a batch fails, also return the servers already done to the previous release." };
        var stage = new Option<bool>("--stage") { Description = "Start the release beside the live one on every server, out of rotation: only requests with the header X-WebFarm-Release: ID (or under --stage-path) reach it; `webfarm promote` rolls it out." };
        var stagePath = new Option<string?>("--stage-path") { Description = "With --stage: requests under this path prefix (e.g. /v2) also reach the staged release, the prefix stripped (/v2/about arrives as /about)." };
        var command = new Command("deploy", "Upload a release of an app (only files the controller lacks are sent) and roll it out server by server.")
        {
            app, path, message, BatchOption, HealthTimeoutOption, DrainTimeoutOption, HealthPassesOption, StrategyOption, autoRollback, stage, stagePath, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm deploy", async api =>
        {
            var name = parseResult.GetValue(app)!;
            if ((StageProblem(parseResult.GetValue(stage), parseResult.GetValue(stagePath), parseResult.GetValue(autoRollback), parseResult.GetValue(DrainTimeoutOption)) ?? RolloutProblem(parseResult)) is { } problem)
            {
                Console.Error.WriteLine($"webfarm deploy: {problem}");
                return ApiConnection.BadArguments; // Before anything is uploaded.
            }

            var (status, id) = await UploadTreeAsync(api, "webfarm deploy", TreeInstaller.ReleaseKind, name, parseResult.GetValue(path)!, parseResult.GetValue(message), ct);
            if (status != ApiConnection.Ok || id is not { } release)
            {
                return status;
            }

            using (var apps = await api.GetJsonAsync("api/apps", ct))
            {
                var definition = apps.RootElement.EnumerateArray().FirstOrDefault(a => a.GetProperty("name").GetString() == name);
                if (definition.ValueKind == JsonValueKind.Undefined && parseResult.GetValue(stage))
                {
                    Console.Error.WriteLine($"webfarm deploy: no app named {name}: nothing to stage it on (the release is stored); `webfarm apps add {name} --ports FROM-TO` (no --command) runs it");
                    return ApiConnection.ApiError;
                }

                if (definition.ValueKind == JsonValueKind.Undefined)
                {
                    Console.WriteLine($"no app named {name}: the release is stored; `webfarm apps add {name} --ports FROM-TO` (no --command) runs it");
                    return ApiConnection.Ok;
                }

                if (definition.GetProperty("command").GetString() is { Length: > 0 } own)
                {
                    Console.WriteLine($"app {name} runs its own command ({own}): the release is stored and installed, not started");
                    return ApiConnection.Ok;
                }
            }

            if (parseResult.GetValue(stage))
            {
                var staging = new Dictionary<string, object?> { ["release"] = release, ["healthTimeout"] = parseResult.GetValue(HealthTimeoutOption) };
                if (parseResult.GetValue(HealthPassesOption) is { } stagePasses)
                {
                    staging["healthPasses"] = int.Parse(stagePasses, CultureInfo.InvariantCulture); // Checked by RolloutProblem.
                }

                if (parseResult.GetValue(stagePath) is { } prefix)
                {
                    staging["stagePath"] = prefix;
                }

                return await StartAndFollowAsync(api, $"api/apps/{Uri.EscapeDataString(name)}/stage", staging, ct);
            }

            var body = RolloutBody(parseResult);
            body["release"] = release;
            body["autoRollback"] = parseResult.GetValue(autoRollback);
            return await StartAndFollowAsync(api, $"api/apps/{Uri.EscapeDataString(name)}/deployments", body, ct);
        }, UploadTimeout));
        return command;
    }

    /// <summary>Why the staging options do not go together (null when they do), checked before the upload.</summary>
    private static string? StageProblem(bool stage, string? stagePath, bool autoRollback, string? drainTimeout)
    {
        if (stage && drainTimeout is not null)
        {
            return "--drain-timeout does not apply to --stage (nothing is drained: the live release is not touched); give it to `webfarm promote`";
        }

        if (stagePath is not null && !stage)
        {
            return "--stage-path needs --stage (it is where the staged release is reached)";
        }

        if (stage && autoRollback)
        {
            return "--auto-rollback does not apply to --stage (a stage that fails on one server is removed from all); give it to `webfarm promote`";
        }

        return stagePath is not null && Controller.Deployments.StagePath.Problem(stagePath) is { } problem ? $"--stage-path: '{stagePath}' {problem}" : null;
    }

    /// <summary>
    /// Why the rollout options `deploy`, `rollback` and `promote` share are bad (null when they are not), checked before
    /// anything is uploaded or started with the controller's own rules (<see cref="Controller.Deployments.RolloutOptionRules"/>).
    /// </summary>
    public static string? RolloutProblem(ParseResult parseResult)
    {
        var healthTimeout = parseResult.GetValue(HealthTimeoutOption);
        if (Controller.Deployments.RolloutOptionRules.HealthTimeoutProblem(healthTimeout, out _) is { } timeout)
        {
            return $"--health-timeout: '{healthTimeout}' {timeout}";
        }

        if (parseResult.GetValue(DrainTimeoutOption) is { } drainTimeout && Controller.Deployments.RolloutOptionRules.DrainTimeoutProblem(drainTimeout, out _) is { } drain)
        {
            return $"--drain-timeout: '{drainTimeout}' {drain}";
        }

        return parseResult.GetValue(HealthPassesOption) is { } passes && Controller.Deployments.RolloutOptionRules.HealthPassesProblem(passes, out _) is { } gate
            ? $"--health-passes: '{passes}' {gate}"
            : null;
    }

    /// <summary>The rollout options `deploy`, `rollback` and `promote` take, as the API's fields (the optional ones only when given).</summary>
    public static Dictionary<string, object?> RolloutBody(ParseResult parseResult)
    {
        var body = new Dictionary<string, object?>
        {
            ["batch"] = parseResult.GetValue(BatchOption),
            ["healthTimeout"] = parseResult.GetValue(HealthTimeoutOption),
            ["strategy"] = parseResult.GetValue(StrategyOption),
        };
        if (parseResult.GetValue(DrainTimeoutOption) is { } drain)
        {
            body["drainTimeout"] = drain;
        }

        if (parseResult.GetValue(HealthPassesOption) is { } passes)
        {
            body["healthPasses"] = int.Parse(passes, System.Globalization.CultureInfo.InvariantCulture); // Checked by RolloutProblem.
        }

        return body;
    }

    /// <summary>Starts a deployment (or rollback) and follows it to its end.</summary>
    public static async Task<int> StartAndFollowAsync(AdminClient api, string path, object body, CancellationToken ct)
    {
        var (status, json) = await api.PostForJsonAsync(path, body, ct);
        if (json is null)
        {
            return status;
        }

        using (json)
        {
            return await DeploymentProgress.FollowAsync(api, json.RootElement, ct);
        }
    }

    /// <summary>Packages and uploads a release or a content set version (`content push` uses it alone).</summary>
    public static Task<int> UploadAsync(ParseResult parseResult, string command, string kind, string name, string path, string? message, CancellationToken ct)
        => ApiConnection.ControllerAsync(parseResult, command, async api => (await UploadTreeAsync(api, command, kind, name, path, message, ct)).Status, UploadTimeout);

    /// <summary>Packages PATH and uploads it; the exit status and the new release's (or version's) id.</summary>
    private static async Task<(int Status, long? Id)> UploadTreeAsync(AdminClient api, string command, string kind, string name, string path, string? message, CancellationToken ct)
    {
        LocalPackage package;
        try
        {
            package = await PackageReader.ReadAsync(path, TreeLimits.Default, Console.Out, ct);
        }
        catch (TreeRefusedException ex)
        {
            Console.Error.WriteLine($"{command}: refused: {ex.Message}");
            return (ExitCodes.Failed, null);
        }

        using (package)
        {
            try
            {
                var result = await ReleaseUploader.UploadAsync(await api.LeaderHttpAsync(ct), kind, name, message, package, ct);
                var what = kind == TreeInstaller.ContentKind ? $"content set {name} version {result.Id}" : $"release {result.Id} of {name}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {package.Manifest.Files.Count} files, {package.Manifest.TotalSize()} bytes, {result.Changed} changed; sent {result.BlobsSent} files ({result.BytesSent} bytes)"));
                return (ExitCodes.Ok, result.Id);
            }
            catch (ReleaseUploadException ex)
            {
                Console.Error.WriteLine($"{command}: {ex.Message}");
                return (ExitCodes.Failed, null);
            }
        }
    }
}
