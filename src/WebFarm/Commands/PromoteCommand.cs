using System.CommandLine;
using System.Globalization;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm promote APP ID`: rolls the staged release out with the rolling procedure of `webfarm deploy` (each server's
/// staged instance becomes its serving one, no second start; the old one drains and stops) and removes the stage's
/// routes. Refused (exit 1, naming what is staged) when ID is not the app's staged release. Exit codes as deploy's.
/// </summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app whose staged release to roll out." };
        var id = new Argument<long>("ID") { Description = "The staged release (`webfarm deployments APP` shows the stage)." };
        var autoRollback = new Option<bool>("--auto-rollback") { Description = "When a batch fails, also return the servers already done to the previous release." };
        var command = new Command("promote", "Roll an app's staged release out to every server, with no failed request.")
        {
            app, id, DeployCommand.BatchOption, DeployCommand.HealthTimeoutOption, DeployCommand.DrainTimeoutOption, DeployCommand.HealthPassesOption, DeployCommand.StrategyOption, autoRollback, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm promote", api =>
        {
            if (DeployCommand.RolloutProblem(parseResult) is { } problem)
            {
                Console.Error.WriteLine($"webfarm promote: {problem}");
                return Task.FromResult(ApiConnection.BadArguments);
            }

            var body = DeployCommand.RolloutBody(parseResult);
            body["release"] = parseResult.GetValue(id);
            body["autoRollback"] = parseResult.GetValue(autoRollback);
            return DeployCommand.StartAndFollowAsync(api, string.Create(CultureInfo.InvariantCulture, $"api/apps/{Uri.EscapeDataString(parseResult.GetValue(app)!)}/promote"), body, ct);
        }, TimeSpan.FromMinutes(30)));
        return command;
    }
}
