namespace WebFarm.Controller.Deployments;

/// <summary>
/// The releases of one app one server runs: the one it serves, and during its turn in a rolling deployment the next
/// one, started beside it.
/// </summary>
public sealed record ServerReleases(long Serving, long? Next);
