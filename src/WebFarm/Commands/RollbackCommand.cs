using System.CommandLine;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm rollback APP [--to ID]`: the rolling procedure of `webfarm deploy` with a release the agents already hold
/// (no transfer): by default the release the app ran before its last successful deployment. Exit codes as deploy's.
/// </summary>
internal static class RollbackCommand
{
    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app to roll back." };
        var to = new Option<long?>("--to") { Description = "The release to return to (default: the one before the current release)." };
        var command = new Command("rollback", "Return an app to an earlier release, server by server, with no failed request.")
        {
            app, to, DeployCommand.BatchOption, DeployCommand.HealthTimeoutOption, DeployCommand.DrainTimeoutOption, DeployCommand.HealthPassesOption, DeployCommand.StrategyOption, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm rollback", api =>
        {
            if (DeployCommand.RolloutProblem(parseResult) is { } problem)
            {
                Console.Error.WriteLine($"webfarm rollback: {problem}");
                return Task.FromResult(ApiConnection.BadArguments);
            }

            var body = DeployCommand.RolloutBody(parseResult);
            if (parseResult.GetValue(to) is { } release)
            {
                body["to"] = release;
            }

            return DeployCommand.StartAndFollowAsync(api, $"api/apps/{Uri.EscapeDataString(parseResult.GetValue(app)!)}/rollback", body, ct);
        }, TimeSpan.FromMinutes(30)));
        return command;
    }
}
