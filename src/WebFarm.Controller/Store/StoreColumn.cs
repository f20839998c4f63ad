namespace WebFarm.Controller.Store;

/// <summary>One column of a store table.</summary>
public sealed record StoreColumn(string Name, ColumnType Type, bool Nullable = false, bool Unique = false);
