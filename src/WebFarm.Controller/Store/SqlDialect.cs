namespace WebFarm.Controller.Store;

/// <summary>The two SQL dialects the controller's store speaks: the embedded SQLite file and a shared PostgreSQL.</summary>
public enum SqlDialect
{
    Sqlite,
    Postgres,
}
