using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>
/// Staging (`webfarm deploy --stage`, `webfarm promote`, `webfarm unstage`): stage a release (202 with its deployment
/// record, kind <c>stage</c>), see the app's stage, promote it (202, kind <c>promote</c>), remove it.
/// </summary>
internal static class StageEndpoints
{
    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapPost("/api/apps/{name}/stage", async context =>
        {
            var request = await ReadAsync(context, DeploymentKind.Stage, "the release number to stage");
            await DeploymentEndpoints.Started(context, await leader(context).Deployments.StartAsync(request, context.RequestAborted));
        });
        app.MapGet("/api/apps/{name}/stage", async context =>
        {
            var name = Route(context);
            var stage = await leader(context).Deployments.StageOfAsync(name, context.RequestAborted)
                ?? throw new ApiException(404, $"nothing is staged for app '{name}'");
            await ControllerJson.Write(context, stage);
        });
        app.MapDelete("/api/apps/{name}/stage", async context =>
            await ControllerJson.Write(context, await leader(context).Deployments.UnstageAsync(Route(context), context.RequestAborted)));
        app.MapPost("/api/apps/{name}/promote", async context =>
        {
            var request = await ReadAsync(context, DeploymentKind.Promote, "the staged release's number (`webfarm deployments APP` shows the stage)");
            await DeploymentEndpoints.Started(context, await leader(context).Deployments.StartAsync(request, context.RequestAborted));
        });
    }

    private static async Task<DeploymentRequest> ReadAsync(HttpContext context, string kind, string what)
    {
        using var body = await AdminHttp.ReadBody(context);
        var (request, hasRelease) = DeploymentRequestReader.Read(body.RootElement, Route(context), "release", kind);
        return hasRelease ? request : throw new AdminRequestException($"release: is required: {what}");
    }

    private static string Route(HttpContext context) => (string)context.Request.RouteValues["name"]!;
}
