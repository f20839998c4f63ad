using System.Globalization;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// The rules for a deployment's per-deployment options (`--health-timeout`, `--drain-timeout`, `--health-passes`), one
/// implementation read by the API (400 naming the field) and the CLI (exit 2 before anything is uploaded).
/// </summary>
public static class RolloutOptionRules
{
    /// <summary>The most passes a gate may ask for: at the 1 s gate interval, more would only slow every deployment.</summary>
    public const int MaxHealthPasses = 100;

    /// <summary>The longest drain: a request that needs more is a job, not a request; an hour bounds a stuck rollout.</summary>
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromHours(1);

    /// <summary>Reads a health timeout ("60s"): above zero. The problem (after the quoted value) when it is not one.</summary>
    public static string? HealthTimeoutProblem(string? text, out TimeSpan value)
    {
        if (!DurationParser.TryParse(text, out value, out var error))
        {
            return error;
        }

        return value <= TimeSpan.Zero ? "must be above zero" : null;
    }

    /// <summary>
    /// Reads a drain timeout ("30s"): 0 (stop at once: requests in flight fail) up to <see cref="MaxDrainTimeout"/>.
    /// The problem (after the quoted value) when it is not one.
    /// </summary>
    public static string? DrainTimeoutProblem(string? text, out TimeSpan value)
    {
        if (!DurationParser.TryParse(text, out value, out var error))
        {
            return error;
        }

        return value > MaxDrainTimeout ? "is over the longest drain (1h)" : null;
    }

    /// <summary>Reads a gate count ("3"): 1 to <see cref="MaxHealthPasses"/> passes in a row. The problem when it is not one.</summary>
    public static string? HealthPassesProblem(string? text, out int value)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return "is not a number of passes (1 to 100)";
        }

        return value is < 1 or > MaxHealthPasses ? "is not a number of passes (1 to 100)" : null;
    }
}
