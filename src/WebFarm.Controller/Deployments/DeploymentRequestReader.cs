using System.Text.Json;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Reads POST /api/apps/{name}/deployments and /rollback strictly: release (a number; for a rollback "to", optional),
/// strategy ("rolling" or "in-place"), batch (a number or "25%"), healthTimeout ("60s"), drainTimeout ("30s"),
/// healthPasses (3), autoRollback; a stage: stagePath, healthTimeout, healthPasses. Every problem
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
        TimeSpan? drainTimeout = null;
        int? healthPasses = null;
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
                    if (RolloutOptionRules.HealthTimeoutProblem(JsonFields.String(property), out healthTimeout) is { } timeoutProblem)
                    {
                        throw new AdminRequestException($"healthTimeout: '{property.Value.GetString()}' {timeoutProblem}");
                    }

                    break;
                case "drainTimeout" when kind != DeploymentKind.Stage:
                    drainTimeout = RolloutOptionRules.DrainTimeoutProblem(JsonFields.String(property), out var drain) is { } drainProblem
                        ? throw new AdminRequestException($"drainTimeout: '{property.Value.GetString()}' {drainProblem}")
                        : drain;
                    break;
                case "healthPasses":
                    var passesText = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : JsonFields.String(property);
                    healthPasses = RolloutOptionRules.HealthPassesProblem(passesText, out var passes) is { } passesProblem
                        ? throw new AdminRequestException($"healthPasses: '{passesText}' {passesProblem}")
                        : passes;
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
                    throw new AdminRequestException($"{property.Name}: unknown field (expected {releaseField}, {(kind == DeploymentKind.Stage ? "stagePath, healthTimeout, healthPasses" : "strategy, batch, healthTimeout, drainTimeout, healthPasses, autoRollback")})");
            }
        }

        return (new DeploymentRequest(app, release ?? 0, strategy, batch, healthTimeout, autoRollback, kind) { StagePath = stagePath, DrainTimeout = drainTimeout, HealthPasses = healthPasses }, release is not null);
    }
}
