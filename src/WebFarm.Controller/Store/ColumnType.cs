namespace WebFarm.Controller.Store;

/// <summary>A store column's logical type; <see cref="StoreTable.CreateSql"/> maps it to each dialect's type.</summary>
public enum ColumnType
{
    Text,
    Bytes,

    /// <summary>A point in time: ISO-8601 UTC text in SQLite (sortable as text), timestamptz in PostgreSQL.</summary>
    Time,

    Integer,
    Boolean,

    /// <summary>A generated 64-bit key (the table's primary key).</summary>
    Identity,
}
