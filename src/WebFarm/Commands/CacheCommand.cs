using System.CommandLine;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm cache purge URL | --prefix P [--balancer URL] [--token T]`: removes cached responses through the balancer's
/// admin API (POST /api/cache/purge). Exit codes: 0 ok, 1 the API refused or is unreachable, 2 bad arguments.
/// </summary>
internal static class CacheCommand
{
    public static Command Create()
    {
        var command = new Command("cache", "Manage the balancer's response cache.");
        command.Subcommands.Add(Purge());
        return command;
    }

    private static Command Purge()
    {
        var url = new Argument<string?>("url") { Description = "The URL whose cached copies to remove, like http://www.example.com/page?id=1.", Arity = ArgumentArity.ZeroOrOne };
        var prefix = new Option<string?>("--prefix") { Description = "Remove every URL under this prefix: an absolute URL (http://www.example.com/images/) or a path (/images/, any host)." };
        var balancer = new Option<string?>("--balancer", "--admin") { Description = "Admin API base URL (default: $WEBFARM_ADMIN or http://127.0.0.1:8089)." };
        var command = new Command("purge", "Remove cached responses by URL or prefix.") { url, prefix, balancer, ApiConnection.TokenOption };
        command.SetAction((parseResult, ct) =>
        {
            var target = parseResult.GetValue(url);
            var under = parseResult.GetValue(prefix);
            if ((target is null) == (under is null))
            {
                Console.Error.WriteLine("webfarm cache purge: give a URL or --prefix P (not both)");
                return Task.FromResult(ApiConnection.BadArguments);
            }

            var admin = parseResult.GetValue(balancer) ?? Environment.GetEnvironmentVariable("WEBFARM_ADMIN") ?? "http://127.0.0.1:8089";
            return ApiConnection.RunAsync(parseResult, "webfarm cache purge", "--balancer", admin, "admin API", async api =>
            {
                var body = new Dictionary<string, object?> { [target is not null ? "url" : "prefix"] = target ?? under };
                var (status, json) = await api.PostForJsonAsync("api/cache/purge", body, ct);
                using (json)
                {
                    if (json is null)
                    {
                        return status;
                    }

                    Console.WriteLine($"purged {json.RootElement.GetProperty("purged").GetInt64()} cached response(s)");
                    return ApiConnection.Ok;
                }
            });
        });
        return command;
    }
}
