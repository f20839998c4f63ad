using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// The farms a controller creates on this balancer at run time (a staged release's farm and its header and path
/// routes; docs/configuration.md "Controller farms"): GET /api/controller/farms lists them, PUT
/// /api/controller/farms/NAME with <c>{"like": "hello", "routes": [...]}</c> creates (201) or replaces (200) one, DELETE
/// removes one with its routes and servers (204). The configuration file's farms and routes are never changed; bad
/// input is a 400 naming the field, and nothing is applied.
/// </summary>
internal static class ControllerFarmEndpoints
{
    public static void Map(IEndpointRouteBuilder app, BalancerRuntime runtime)
    {
        app.MapGet("/api/controller/farms", context =>
        {
            var list = new List<ControllerFarmInfo>();
            foreach (var farm in runtime.ControllerFarms.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                list.Add(ControllerFarmInfo.From(farm));
            }

            return AdminHttp.WriteJson(context, list);
        });
        app.MapPut("/api/controller/farms/{farm}", async context =>
        {
            var name = (string)context.Request.RouteValues["farm"]!;
            using var body = await AdminHttp.ReadBody(context);
            var errors = new List<ConfigError>();
            var farm = ConfigReader.ReadControllerFarm(body.RootElement, name, errors);
            if (errors.Count > 0 || farm is null)
            {
                throw new AdminRequestException(AdminApi.FormatFieldError(errors));
            }

            bool created;
            try
            {
                created = runtime.SetControllerFarm(farm);
            }
            catch (ConfigException ex)
            {
                throw new AdminRequestException(AdminApi.FormatFieldError([.. ex.Errors]));
            }

            context.Response.StatusCode = created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            context.Response.Headers.Location = $"/api/farms/{name}";
            await AdminHttp.WriteJson(context, ControllerFarmInfo.From(runtime.ControllerFarms[name]));
        });
        app.MapDelete("/api/controller/farms/{farm}", context =>
        {
            try
            {
                runtime.RemoveControllerFarm((string)context.Request.RouteValues["farm"]!);
            }
            catch (ArgumentException ex)
            {
                throw new AdminRequestException(ex.Message.Split(" (Parameter")[0]);
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
    }
}
