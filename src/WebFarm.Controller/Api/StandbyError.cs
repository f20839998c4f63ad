namespace WebFarm.Controller.Api;

/// <summary>A standby's 503 answer to an API call: the error, its role and the leader to send the call to (null when unknown).</summary>
public sealed record StandbyError(string Error, string Role, string? Leader);
