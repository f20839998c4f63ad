using System.CommandLine;
using System.Globalization;

namespace WebFarm.Commands;

/// <summary>`webfarm unstage APP`: stops the app's staged instances and removes the stage's routes (the live release is untouched).</summary>
internal static class UnstageCommand
{
    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app whose stage to remove." };
        var command = new Command("unstage", "Stop an app's staged release (`webfarm deploy --stage`); the live release is untouched.")
        {
            app, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm unstage", async api =>
        {
            var name = parseResult.GetValue(app)!;
            var (status, json) = await api.SendForJsonAsync(HttpMethod.Delete, $"api/apps/{Uri.EscapeDataString(name)}/stage", ct);
            if (json is null)
            {
                return status;
            }

            using (json)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"unstaged release {json.RootElement.GetProperty("release").GetInt64()} of {name} (stage {json.RootElement.GetProperty("id").GetInt64()}): its instances stop; requests with its header or path reach the live release"));
                return ApiConnection.Ok;
            }
        }));
        return command;
    }
}
