using System.Globalization;
using Npgsql;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>A fresh database on the fixture's PostgreSQL per test, so tests sharing the server never see each other's farm.</summary>
internal static class PostgresDatabase
{
    private static int _next;

    /// <summary>Creates an empty database and returns its `--store` URL.</summary>
    public static async Task<string> CreateAsync(PostgresServer server)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"farm_{Environment.ProcessId}_{Interlocked.Increment(ref _next)}_{Guid.NewGuid():N}");
        name = name[..Math.Min(name.Length, 60)];
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return string.Create(CultureInfo.InvariantCulture, $"postgres://postgres@127.0.0.1:{server.Port}/{name}");
    }
}
