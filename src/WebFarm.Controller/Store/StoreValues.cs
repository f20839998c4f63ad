using System.Data.Common;

namespace WebFarm.Controller.Store;

/// <summary>
/// How each <see cref="SqlDialect"/> binds and reads the values whose representation differs: times (ISO-8601 UTC
/// text in SQLite, sortable as text and exact; timestamptz in PostgreSQL) and booleans (0/1 in SQLite).
/// </summary>
internal static class StoreValues
{
    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static object Time(SqlDialect dialect, DateTimeOffset time)
        => dialect == SqlDialect.Sqlite ? SqliteFile.FormatTime(time) : time.ToUniversalTime();

    public static object? Time(SqlDialect dialect, DateTimeOffset? time) => time is { } value ? Time(dialect, value) : null;

    public static DateTimeOffset ReadTime(DbDataReader reader, int ordinal, SqlDialect dialect)
        => dialect == SqlDialect.Sqlite
            ? SqliteFile.ParseTime(reader.GetString(ordinal))
            : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DateTimeOffset? ReadNullableTime(DbDataReader reader, int ordinal, SqlDialect dialect)
        => reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal, dialect);

    public static object Boolean(SqlDialect dialect, bool value) => dialect == SqlDialect.Sqlite ? (value ? 1L : 0L) : value;

    public static bool ReadBoolean(DbDataReader reader, int ordinal, SqlDialect dialect)
        => dialect == SqlDialect.Sqlite ? reader.GetInt64(ordinal) != 0 : reader.GetBoolean(ordinal);
}
