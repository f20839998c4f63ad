namespace WebFarm.Balancer.Configuration;

/// <summary>Sticky sessions (implemented under Affinity/).</summary>
public sealed record AffinityOptions
{
    public AffinityMode Mode { get; init; } = AffinityMode.None;

    public string CookieName { get; init; } = "WebFarmAffinity";

    /// <summary>Cookie lifetime; null = a session cookie.</summary>
    public TimeSpan? CookieLifetime { get; init; }

    public AffinityFailurePolicy OnUnavailable { get; init; } = AffinityFailurePolicy.Redistribute;

    /// <summary>How long a Draining server keeps serving clients bound to it.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>MAC key for the cookie; null = generated once and kept in the state directory.</summary>
    public string? Key { get; init; }
}
