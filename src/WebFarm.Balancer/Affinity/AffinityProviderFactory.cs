using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Affinity;

/// <summary>Builds a farm's affinity provider from its options.</summary>
public static class AffinityProviderFactory
{
    /// <summary>
    /// The provider for <paramref name="options"/>, or null for Mode None. Cookie mode loads (or creates) the key in
    /// <paramref name="stateDirectory"/> unless one is configured; farms without their own key share that file's key
    /// (each farm's MAC also covers the farm name, so a cookie never crosses farms).
    /// </summary>
    public static IAffinityProvider? Create(string farm, AffinityOptions options, string stateDirectory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Mode switch
        {
            AffinityMode.None => null,
            AffinityMode.Cookie => new CookieAffinityProvider(
                farm,
                AffinityKeyStore.Load(options.Key, stateDirectory),
                options.CookieName,
                options.CookieLifetime,
                options.OnUnavailable,
                options.DrainTimeout,
                time),
            AffinityMode.ClientIp => new ClientAddressAffinityProvider(network: false, options.OnUnavailable, options.DrainTimeout, time),
            AffinityMode.ClientNetwork => new ClientAddressAffinityProvider(network: true, options.OnUnavailable, options.DrainTimeout, time),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "Unknown affinity mode."),
        };
    }
}
