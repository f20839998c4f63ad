using System.Globalization;
using Npgsql;

namespace WebFarm.Controller.Store;

/// <summary>
/// `--store postgres://user:password@host:port/database?sslmode=require` (libpq's URI form, also postgresql://) turned
/// into an Npgsql connection string. The password may instead come from PGPASSWORD or ~/.pgpass, as with psql, so it
/// need not appear on a command line. Every part that is not understood is an error naming it, never ignored.
/// </summary>
public static class PostgresStoreUrl
{
    public static bool IsPostgres(string store)
        => store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="FormatException">The URL is malformed; the message says which part and why.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string store)
    {
        if (!IsPostgres(store) || !Uri.TryCreate(store, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"'{Redact(store)}' is not a PostgreSQL URL like postgres://user:password@host:5432/database");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"{Redact(store)}: the path must be one database name, not '{database}'");
        }

        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException($"{Redact(store)}: sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
                    };
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 1024
                        ? seconds
                        : throw new FormatException($"{Redact(store)}: connect_timeout '{value}' is not a number of seconds from 1 to 1024");
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                default:
                    throw new FormatException($"{Redact(store)}: unknown parameter '{key}' (supported: sslmode, connect_timeout, application_name)");
            }
        }

        return builder;
    }

    /// <summary>The URL with its password replaced by "***", for messages and logs.</summary>
    public static string Redact(string store)
    {
        var scheme = store.IndexOf("://", StringComparison.Ordinal);
        var at = store.IndexOf('@', StringComparison.Ordinal);
        if (scheme < 0 || at < scheme)
        {
            return store;
        }

        var colon = store.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? store[..(colon + 1)] + "***" + store[at..] : store;
    }
}
