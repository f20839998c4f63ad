namespace WebFarm.Output;

/// <summary>How a list or status command prints its result (`--output`).</summary>
internal enum OutputFormat
{
    /// <summary>A table for people (the default); colour and width follow <see cref="Terminal"/>.</summary>
    Table,

    /// <summary>The API's JSON document (camelCase field names, docs/cli.md); NDJSON for a stream (`trace --follow`).</summary>
    Json,
}
