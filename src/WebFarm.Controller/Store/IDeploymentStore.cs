using WebFarm.Controller.Deployments;

namespace WebFarm.Controller.Store;

/// <summary>The deployments table: every deployment's progress, kept so that it survives a controller restart or takeover.</summary>
public interface IDeploymentStore
{
    /// <summary>Inserts the deployment (its id is ignored); returns the id the store gave it.</summary>
    Task<long> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken);

    /// <summary>Rewrites the deployment <see cref="DeploymentRecord.Id"/> (state, servers, error).</summary>
    Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken);

    /// <summary>Newest first, of <paramref name="app"/> when given, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(string? app, int limit, CancellationToken cancellationToken);

    /// <summary>Null when there is no such deployment.</summary>
    Task<DeploymentRecord?> GetDeploymentAsync(long id, CancellationToken cancellationToken);
}
