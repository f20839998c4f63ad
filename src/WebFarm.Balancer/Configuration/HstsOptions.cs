namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Strict-Transport-Security (RFC 6797) an https listener adds to its responses: browsers then use https for the host
/// for <see cref="MaxAge"/> without trying http first.
/// </summary>
public sealed record HstsOptions
{
    /// <summary>How long browsers remember to use https only (max-age); a year by default, as the preload list asks.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(365);

    /// <summary>Covers every subdomain of the host too (includeSubDomains).</summary>
    public bool IncludeSubDomains { get; init; }

    /// <summary>Adds "preload" (asks to be in browsers' built-in lists; needs IncludeSubDomains and at least a year).</summary>
    public bool Preload { get; init; }

    /// <summary>The header's value, e.g. "max-age=31536000; includeSubDomains".</summary>
    public string HeaderValue()
        => "max-age=" + ((long)MaxAge.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)
            + (IncludeSubDomains ? "; includeSubDomains" : string.Empty)
            + (Preload ? "; preload" : string.Empty);
}
