namespace WebFarm.Controller.Api;

/// <summary>GET /api/controller's answer: who leads, answered by a standby too.</summary>
/// <param name="Role">"leader" or "standby".</param>
/// <param name="Self">This controller's advertised API URL.</param>
/// <param name="Leader">The leader's URL; null when there is none.</param>
public sealed record ControllerStatus(string Role, string Self, string? Leader, string Detail);
