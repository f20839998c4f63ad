namespace WebFarm.Balancer.Configuration;

/// <summary>The admin API listener (JSON under /api, /metrics).</summary>
public sealed record AdminOptions
{
    /// <summary>Admin listener URL; null or empty disables the admin API.</summary>
    public string? Listen { get; init; } = "http://127.0.0.1:8089";

    /// <summary>Bearer token. Required when <see cref="Listen"/> is not a loopback address.</summary>
    public string? Token { get; init; }

    /// <summary>File holding the token (first line), relative to the config file. Exclusive with <see cref="Token"/>.</summary>
    public string? TokenFile { get; init; }
}
