namespace WebFarm.Controller.Rotation;

/// <summary>
/// How far a balancer follows the rotation (GET /api/balancers): whether its last reconciliation succeeded, when, the
/// error that stopped the last one (naming the balancer), and the farms the controller has that its configuration lacks.
/// </summary>
public sealed record BalancerStatus(
    string Balancer,
    bool InProcess,
    bool InStep,
    DateTimeOffset? LastReconciled,
    int ChangesApplied,
    string? Error,
    IReadOnlyList<string> MissingFarms);
