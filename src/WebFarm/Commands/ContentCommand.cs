using System.CommandLine;
using WebFarm.Agent.Releases;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm content push SET PATH` and `webfarm content list`: named folders mirrored to every agent.</summary>
internal static class ContentCommand
{
    public static Command Create()
    {
        var command = new Command("content", "Content sets: folders that are not part of a release (uploads, a static site), mirrored to every server.");
        var set = new Argument<string>("SET") { Description = "The content set's name (1-64 letters, digits, '-', '_', '.')." };
        var path = new Argument<string>("PATH") { Description = "A folder, a .zip or a .tar.gz." };
        var message = new Option<string?>("--message", "-m") { Description = "What this version changes." };
        var push = new Command("push", "Publish a new version of a content set: only changed files are sent; each server swaps it in atomically.")
        {
            set, path, message, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        push.SetAction((parseResult, ct) => DeployCommand.UploadAsync(parseResult, "webfarm content push", TreeInstaller.ContentKind, parseResult.GetValue(set)!, parseResult.GetValue(path)!, parseResult.GetValue(message), ct));
        var list = new Command("list", "List the content sets' kept versions and the servers holding each.") { ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        list.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm content list", async api =>
        {
            using var versions = await api.GetJsonAsync("api/content", ct);
            if (!CliOutput.TryWriteJson(parseResult, versions.RootElement))
            {
                CliOutput.Write(ReleasesCommand.Table(versions.RootElement, "Set #version"));
            }

            return ApiConnection.Ok;
        }));
        command.Subcommands.Add(push);
        command.Subcommands.Add(list);
        return command;
    }
}
