namespace WebFarm.Balancer.Caching;

/// <summary>What a stored response's headers said about its freshness, worked out once when it was stored.</summary>
/// <param name="LifetimeSeconds">Freshness lifetime (RFC 9111 4.2.1): s-maxage, max-age, Expires − Date, or the route's default.</param>
/// <param name="InitialAgeSeconds">Its age on arrival (RFC 9111 4.2.3): the larger of its Age header and now − Date.</param>
/// <param name="AlwaysRevalidate">Response <c>no-cache</c>: stored, but every use asks the server first.</param>
/// <param name="MustRevalidate"><c>must-revalidate</c>, <c>proxy-revalidate</c> or <c>s-maxage</c>: never served stale.</param>
internal readonly record struct Freshness(long LifetimeSeconds, long InitialAgeSeconds, bool AlwaysRevalidate, bool MustRevalidate);
