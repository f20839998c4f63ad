using System.Text;

namespace WebFarm.Controller.Store;

/// <summary>
/// One table of the controller's store, described once (<see cref="ControllerSchema"/>) and rendered for each
/// <see cref="SqlDialect"/>, so the SQLite and PostgreSQL stores cannot drift apart in shape.
/// </summary>
/// <param name="PrimaryKey">The key columns; empty when an <see cref="ColumnType.Identity"/> column is the key.</param>
/// <param name="Indexes">Secondary indexes, each a list of columns.</param>
public sealed record StoreTable(string Name, IReadOnlyList<StoreColumn> Columns, IReadOnlyList<string> PrimaryKey, IReadOnlyList<IReadOnlyList<string>>? Indexes = null)
{
    /// <summary>CREATE TABLE IF NOT EXISTS (and its indexes) in <paramref name="dialect"/>.</summary>
    public string CreateSql(SqlDialect dialect)
    {
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE IF NOT EXISTS ").Append(Name).Append(" (");
        for (var i = 0; i < Columns.Count; i++)
        {
            var column = Columns[i];
            sql.Append(i == 0 ? "\n    " : ",\n    ").Append(column.Name).Append(' ').Append(TypeName(column.Type, dialect));
            if (column.Type != ColumnType.Identity)
            {
                sql.Append(column.Nullable ? " NULL" : " NOT NULL");
            }

            if (column.Unique)
            {
                sql.Append(" UNIQUE");
            }
        }

        if (PrimaryKey.Count > 0)
        {
            sql.Append(",\n    PRIMARY KEY (").AppendJoin(", ", PrimaryKey).Append(')');
        }

        sql.Append(");\n");
        foreach (var index in Indexes ?? [])
        {
            sql.Append("CREATE INDEX IF NOT EXISTS ").Append(Name).Append('_').AppendJoin('_', index)
                .Append(" ON ").Append(Name).Append(" (").AppendJoin(", ", index).Append(");\n");
        }

        return sql.ToString();
    }

    private static string TypeName(ColumnType type, SqlDialect dialect) => (type, dialect) switch
    {
        (ColumnType.Text, SqlDialect.Sqlite) => "TEXT",
        (ColumnType.Text, _) => "text",
        (ColumnType.Bytes, SqlDialect.Sqlite) => "BLOB",
        (ColumnType.Bytes, _) => "bytea",
        (ColumnType.Time, SqlDialect.Sqlite) => "TEXT",
        (ColumnType.Time, _) => "timestamptz",
        (ColumnType.Integer or ColumnType.Boolean, SqlDialect.Sqlite) => "INTEGER",
        (ColumnType.Integer, _) => "bigint",
        (ColumnType.Boolean, _) => "boolean",
        (ColumnType.Identity, SqlDialect.Sqlite) => "INTEGER PRIMARY KEY AUTOINCREMENT",
        (ColumnType.Identity, _) => "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no such column type"),
    };
}
