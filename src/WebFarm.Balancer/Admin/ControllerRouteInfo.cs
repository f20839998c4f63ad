namespace WebFarm.Balancer.Admin;

/// <summary>A controller farm's route on the wire: the matchers a file's route has, and whether the path prefix is stripped.</summary>
public sealed record ControllerRouteInfo(string? Host, string? Path, IReadOnlyDictionary<string, string>? Headers, bool StripPrefix);
