namespace WebFarm.Controller.Store;

/// <summary>
/// The controller store's tables, described once for both dialects (a new feature's tables are added here and both
/// stores create them). Statements that both dialects accept as written (named @parameters, plain
/// SELECT/INSERT/UPDATE) live next to the stores; only the types and the values bound for <see cref="ColumnType.Time"/>
/// differ.
/// </summary>
public static class ControllerSchema
{
    public static readonly StoreTable JoinTokens = new(
        "join_tokens",
        [
            new("hash", ColumnType.Bytes),
            new("created", ColumnType.Time),
            new("expires", ColumnType.Time),
            new("used_by", ColumnType.Text, Nullable: true),
            new("used_at", ColumnType.Time, Nullable: true),
        ],
        ["hash"]);

    public static readonly StoreTable Servers = new(
        "servers",
        [
            new("name", ColumnType.Text),
            new("address", ColumnType.Text),
            new("credential_hash", ColumnType.Bytes, Unique: true),
            new("joined_at", ColumnType.Time),
            new("last_heartbeat", ColumnType.Time, Nullable: true),
            new("load", ColumnType.Text, Nullable: true),
        ],
        ["name"]);

    /// <summary>Availability: one row per interval in which a server, an app or the farm was down (ended null while it lasts).</summary>
    public static readonly StoreTable Downtime = new(
        "downtime",
        [
            new("id", ColumnType.Identity),
            new("subject_kind", ColumnType.Text),
            new("subject", ColumnType.Text),
            new("scheduled", ColumnType.Boolean),
            new("cause", ColumnType.Text),
            new("started", ColumnType.Time),
            new("ended", ColumnType.Time, Nullable: true),
        ],
        [],
        [["started"], ["ended"]]);

    /// <summary>Availability: when each server, app and the farm was first seen in service (its period starts there).</summary>
    public static readonly StoreTable AvailabilitySubjects = new(
        "availability_subjects",
        [
            new("subject_kind", ColumnType.Text),
            new("subject", ColumnType.Text),
            new("first_seen", ColumnType.Time),
        ],
        ["subject_kind", "subject"]);

    /// <summary>Apps: one row per app, its definition (command, ports, health, environment, placement) as JSON.</summary>
    public static readonly StoreTable Apps = new(
        "apps",
        [
            new("name", ColumnType.Text),
            new("definition", ColumnType.Text),
            new("created", ColumnType.Time),
        ],
        ["name"]);

    /// <summary>
    /// Servers' labels (`webfarm agent --label k=v`) as JSON, as their agents last reported them. A table of its own
    /// rather than a column of <see cref="Servers"/>, so a store created before labels gains it with CREATE IF NOT EXISTS.
    /// </summary>
    public static readonly StoreTable ServerLabels = new(
        "server_labels",
        [
            new("server", ColumnType.Text),
            new("labels", ColumnType.Text),
        ],
        ["server"]);


    /// <summary>Deployments: one row per deployment, its whole progress (<c>DeploymentRecord</c>) as JSON, rewritten at every phase.</summary>
    public static readonly StoreTable Deployments = new(
        "deployments",
        [
            new("id", ColumnType.Identity),
            new("app", ColumnType.Text),
            new("state", ColumnType.Text),
            new("started", ColumnType.Time),
            new("record", ColumnType.Text),
        ],
        [],
        [["app"]]);

    public static readonly IReadOnlyList<StoreTable> Tables = [JoinTokens, Servers, Downtime, AvailabilitySubjects, Apps, ServerLabels, Deployments];

    /// <summary>Every table's CREATE statements in <paramref name="dialect"/>.</summary>
    public static string CreateSql(SqlDialect dialect) => string.Concat(Tables.Select(t => t.CreateSql(dialect)));
}
