using System.Data.Common;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Api;
using WebFarm.Controller.Deployments;

namespace WebFarm.Controller.Store;

/// <summary>
/// Deployments (<see cref="ControllerSchema.Deployments"/>: one row per deployment, its record as JSON, its app and state
/// as columns to select by): the statements both stores run, over an open connection the caller owns.
/// </summary>
internal static class DeploymentTables
{
    /// <summary>Inserts the deployment (its <see cref="DeploymentRecord.Id"/> is ignored) and returns its id.</summary>
    public static async Task<long> AddAsync(DbConnection connection, SqlDialect dialect, DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO deployments (app, state, started, record) VALUES (@app, @state, @started, @record) RETURNING id")
            .With("@app", deployment.App).With("@state", deployment.State).With("@started", StoreValues.Time(dialect, deployment.StartedAt))
            .With("@record", ControllerJson.Serialize(deployment));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task SaveAsync(DbConnection connection, DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("UPDATE deployments SET state = @state, record = @record WHERE id = @id")
            .With("@id", deployment.Id).With("@state", deployment.State).With("@record", ControllerJson.Serialize(deployment));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deployments (of <paramref name="app"/> when given), newest first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<DeploymentRecord>> ListAsync(DbConnection connection, string? app, int limit, CancellationToken cancellationToken)
    {
        await using var command = app is null
            ? connection.Command("SELECT id, record FROM deployments ORDER BY id DESC LIMIT @limit").With("@limit", limit)
            : connection.Command("SELECT id, record FROM deployments WHERE app = @app ORDER BY id DESC LIMIT @limit").With("@app", app).With("@limit", limit);
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<DeploymentRecord?> GetAsync(DbConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT id, record FROM deployments WHERE id = @id").With("@id", id);
        var list = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    private static async Task<IReadOnlyList<DeploymentRecord>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<DeploymentRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = ControllerJson.Deserialize<DeploymentRecord>(reader.GetString(1))
                ?? throw new InvalidDataException("deployments: a row holds no record");
            list.Add(record with { Id = reader.GetInt64(0) }); // The row's id is the truth (the record was written before it had one).
        }

        return list;
    }
}
