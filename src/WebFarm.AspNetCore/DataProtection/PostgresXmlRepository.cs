using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.DataProtection;

/// <summary>Keeps the Data Protection key ring in the PostgreSQL table <c>webfarm_dataprotection_keys</c>, one row per key and application.</summary>
internal sealed class PostgresXmlRepository(PostgresStore store, string applicationName, WebFarmMetrics metrics) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        try
        {
            using var connection = store.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
            using var command = new NpgsqlCommand("SELECT xml FROM webfarm_dataprotection_keys WHERE application = @app ORDER BY created_at", connection);
            command.Parameters.AddWithValue("app", applicationName);
            using var reader = command.ExecuteReader();
            var elements = new List<XElement>();
            while (reader.Read())
            {
                elements.Add(XElement.Parse(reader.GetString(0)));
            }

            return elements;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed("keys", ex);
            throw;
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        try
        {
            using var connection = store.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
            using var command = new NpgsqlCommand("""
                INSERT INTO webfarm_dataprotection_keys (application, friendly_name, xml) VALUES (@app, @name, @xml)
                ON CONFLICT (application, friendly_name) DO UPDATE SET xml = EXCLUDED.xml
                """, connection);
            command.Parameters.AddWithValue("app", applicationName);
            command.Parameters.AddWithValue("name", string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName);
            command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed("keys", ex);
            throw;
        }
    }
}
