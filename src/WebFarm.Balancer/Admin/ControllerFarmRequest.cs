namespace WebFarm.Balancer.Admin;

/// <summary>The body of PUT /api/controller/farms/NAME: the config farm whose options the new farm copies, and its routes.</summary>
public sealed record ControllerFarmRequest(string Like, IReadOnlyList<ControllerRouteInfo> Routes);
