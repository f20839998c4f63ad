namespace WebFarm.Controller.Apps;

/// <summary>What a rolling restart did on one server (POST /api/apps/{name}/restart).</summary>
/// <param name="Outcome">restarted, skipped (lost agent, no instance) or failed (the new instance did not become healthy).</param>
public sealed record RestartStep(string Server, string Outcome, string Detail, double Seconds);
