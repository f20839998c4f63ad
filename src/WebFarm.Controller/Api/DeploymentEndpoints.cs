using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>
/// Deployments (`webfarm deploy`, `webfarm rollback`, `webfarm deployments`): start one (202 with its record), list
/// them, follow one. The record's shape is <see cref="DeploymentRecord"/>.
/// </summary>
internal static class DeploymentEndpoints
{
    /// <summary>How many deployments a list answers at most (newest first).</summary>
    private const int ListLimit = 50;

    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapPost("/api/apps/{name}/deployments", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var (request, hasRelease) = DeploymentRequestReader.Read(body.RootElement, Route(context), "release", DeploymentKind.Deploy);
            if (!hasRelease)
            {
                throw new AdminRequestException("release: is required: the release number to roll out (`webfarm releases APP` lists them)");
            }

            await Started(context, await leader(context).Deployments.StartAsync(request, context.RequestAborted));
        });
        app.MapPost("/api/apps/{name}/rollback", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var (request, hasRelease) = DeploymentRequestReader.Read(body.RootElement, Route(context), "to", DeploymentKind.Rollback);
            var engine = leader(context).Deployments;
            if (!hasRelease)
            {
                request = request with { Release = await engine.RollbackTargetAsync(request.App, context.RequestAborted) };
            }

            await Started(context, await engine.StartAsync(request, context.RequestAborted));
        });
        app.MapGet("/api/deployments", async context =>
        {
            var appName = context.Request.Query["app"].ToString();
            if (appName.Length > 0)
            {
                leader(context).Apps.Get(appName); // 404 naming the apps.
            }

            await ControllerJson.Write(context, await leader(context).Deployments.ListAsync(appName.Length == 0 ? null : appName, ListLimit, context.RequestAborted));
        });
        app.MapGet("/api/deployments/{id}", async context =>
        {
            var text = (string)context.Request.RouteValues["id"]!;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw new AdminRequestException($"id: '{text}' is not a deployment number");
            }

            var record = await leader(context).Deployments.GetAsync(id, context.RequestAborted)
                ?? throw new ApiException(404, $"no deployment {id}");
            await ControllerJson.Write(context, record);
        });
    }

    /// <summary>202 with the record and its Location (a deployment, rollback, stage or promote started).</summary>
    internal static async Task Started(HttpContext context, DeploymentRecord record)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.Headers.Location = string.Create(CultureInfo.InvariantCulture, $"/api/deployments/{record.Id}");
        await ControllerJson.Write(context, record);
    }

    private static string Route(HttpContext context) => (string)context.Request.RouteValues["name"]!;
}
