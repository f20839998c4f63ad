namespace WebFarm.Controller.Deployments;

/// <summary>
/// A running deployment: its request and its record, replaced (never changed) at every phase change so that readers
/// (the API, the store writer) always see a whole one.
/// </summary>
internal sealed class Deployment(DeploymentRecord record, DeploymentRequest request)
{
    private readonly Lock _lock = new();
    private DeploymentRecord _record = record;

    public DeploymentRequest Request { get; } = request;

    public DeploymentRecord Record => Volatile.Read(ref _record);

    /// <summary>Serializes the store writes, so that the last one written is the newest record.</summary>
    public SemaphoreSlim SaveGate { get; } = new(1, 1);

    public DeploymentRecord Change(Func<DeploymentRecord, DeploymentRecord> change)
    {
        lock (_lock)
        {
            var next = change(_record);
            Volatile.Write(ref _record, next);
            return next;
        }
    }

    /// <summary>Moves <paramref name="server"/> to <paramref name="phase"/> (its release, error and output when given).</summary>
    public DeploymentServer SetServer(string server, string phase, DateTimeOffset now, long? release = null, string? error = null, IReadOnlyList<string>? output = null)
    {
        DeploymentServer? updated = null;
        Change(r =>
        {
            var servers = new List<DeploymentServer>(r.Servers.Count);
            foreach (var s in r.Servers)
            {
                if (s.Server == server)
                {
                    updated = s with { Phase = phase, PhaseSince = now, Release = release ?? s.Release, Error = error, Output = output ?? [] };
                    servers.Add(updated);
                }
                else
                {
                    servers.Add(s);
                }
            }

            return r with { Servers = servers };
        });
        return updated ?? throw new InvalidOperationException($"server {server} is not part of deployment {Record.Id}");
    }
}
