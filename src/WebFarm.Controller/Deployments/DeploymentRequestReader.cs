using System.Text.Json;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Reads POST /api/apps/{name}/deployments and /rollback strictly: release (a number; for a rollback "to", optional),
/// strategy ("rolling" or "in-place"), batch (a number or "25%"), healthTimeout ("60s"), autoRollback. Every problem
/// names its field; unknown fields are refused.
/// </summary>
internal static class DeploymentRequestReader
{
    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(60);

    /// <param name="releaseField">"release" for a deployment, "to" for a rollback.</param>
    /// <returns>The request, its release null when the body names none.</returns>
    public static (DeploymentRequest Request, bool HasRelease) Read(JsonElement root, string app, string releaseField, string kind)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException($"body: expected a JSON object like {{\"{releaseField}\": 3, \"batch\": \"1\", \"healthTimeout\": \"60s\"}}");
        }

        long? release = null;
        var strategy = DeploymentKind.Rolling;
        var batch = BatchSize.One;
        var healthTimeout = DefaultHealthTimeout;
        var autoRollback = false;
        string? stagePath = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case var name when name == releaseField:
                    release = property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt64(out var id) && id >= 1
                        ? id
                        : throw new AdminRequestException($"{releaseField}: expected a release number (1 or more), got {property.Value.GetRawText()}");
                    break;
                case "strategy":
                    strategy = JsonFields.String(property) is DeploymentKind.Rolling or DeploymentKind.InPlace
                        ? property.Value.GetString()!
                        : throw new AdminRequestException($"strategy: '{property.Value.GetString()}' is not a strategy (rolling, in-place)");
                    break;
                case "batch":
                    var text = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : JsonFields.String(property);
                    try
                    {
                        batch = BatchSize.Parse(text);
                    }
                    catch (FormatException ex)
                    {
                        throw new AdminRequestException($"batch: {ex.Message}");
                    }

                    break;
                case "healthTimeout":
                    if (!DurationParser.TryParse(JsonFields.String(property), out healthTimeout, out var error) || healthTimeout <= TimeSpan.Zero)
                    {
                        throw new AdminRequestException($"healthTimeout: '{property.Value.GetString()}' {(error.Length > 0 ? error : "must be above zero")}");
                    }

                    break;
                case "autoRollback":
                    autoRollback = property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? property.Value.GetBoolean()
                        : throw new AdminRequestException($"autoRollback: expected true or false, got {property.Value.GetRawText()}");
                    break;
                case "stagePath" when kind == DeploymentKind.Stage:
                    stagePath = JsonFields.String(property);
                    if (StagePath.Problem(stagePath) is { } problem)
                    {
                        throw new AdminRequestException($"stagePath: '{stagePath}' {problem}");
                    }

                    break;
                default:
                    throw new AdminRequestException($"{property.Name}: unknown field (expected {releaseField}, {(kind == DeploymentKind.Stage ? "stagePath, healthTimeout" : "strategy, batch, healthTimeout, autoRollback")})");
            }
        }

        return (new DeploymentRequest(app, release ?? 0, strategy, batch, healthTimeout, autoRollback, kind) { StagePath = stagePath }, release is not null);
    }
}
