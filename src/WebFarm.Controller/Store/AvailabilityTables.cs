using System.Data.Common;
using WebFarm.Controller.Availability;

namespace WebFarm.Controller.Store;

/// <summary>
/// Availability records (<see cref="ControllerSchema.Downtime"/>, <see cref="ControllerSchema.AvailabilitySubjects"/>):
/// the statements both stores run, over an open connection the caller owns.
/// </summary>
internal static class AvailabilityTables
{
    public static async Task AddSubjectAsync(DbConnection connection, SqlDialect dialect, SubjectKind kind, string subject, DateTimeOffset firstSeen, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO availability_subjects (subject_kind, subject, first_seen) VALUES (@kind, @subject, @at) ON CONFLICT (subject_kind, subject) DO NOTHING")
            .With("@kind", KindText(kind)).With("@subject", subject).With("@at", StoreValues.Time(dialect, firstSeen));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<AvailabilitySubject>> ListSubjectsAsync(DbConnection connection, SqlDialect dialect, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT subject_kind, subject, first_seen FROM availability_subjects ORDER BY subject_kind, subject");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<AvailabilitySubject>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new AvailabilitySubject(ParseKind(reader.GetString(0)), reader.GetString(1), StoreValues.ReadTime(reader, 2, dialect)));
        }

        return list;
    }

    public static async Task<long> OpenDowntimeAsync(DbConnection connection, SqlDialect dialect, DowntimeRecord downtime, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO downtime (subject_kind, subject, scheduled, cause, started) VALUES (@kind, @subject, @scheduled, @cause, @started) RETURNING id")
            .With("@kind", KindText(downtime.Kind)).With("@subject", downtime.Subject).With("@scheduled", StoreValues.Boolean(dialect, downtime.Scheduled))
            .With("@cause", downtime.Cause).With("@started", StoreValues.Time(dialect, downtime.Started));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task CloseDowntimeAsync(DbConnection connection, SqlDialect dialect, long id, DateTimeOffset ended, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("UPDATE downtime SET ended = @ended WHERE id = @id AND ended IS NULL")
            .With("@id", id).With("@ended", StoreValues.Time(dialect, ended));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> CloseOpenDowntimeAsync(DbConnection connection, SqlDialect dialect, DateTimeOffset ended, CancellationToken cancellationToken)
    {
        // An interval cannot end before it started (a clock stepped back between two leaders).
        await using var command = connection.Command("UPDATE downtime SET ended = CASE WHEN started > @ended THEN started ELSE @ended END WHERE ended IS NULL")
            .With("@ended", StoreValues.Time(dialect, ended));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<DowntimeRecord>> ListDowntimeAsync(DbConnection connection, SqlDialect dialect, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT id, subject_kind, subject, scheduled, cause, started, ended FROM downtime WHERE ended IS NULL OR ended >= @since ORDER BY started, id")
            .With("@since", StoreValues.Time(dialect, since));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<DowntimeRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DowntimeRecord(
                reader.GetInt64(0),
                ParseKind(reader.GetString(1)),
                reader.GetString(2),
                StoreValues.ReadBoolean(reader, 3, dialect),
                reader.GetString(4),
                StoreValues.ReadTime(reader, 5, dialect),
                StoreValues.ReadNullableTime(reader, 6, dialect)));
        }

        return list;
    }

    public static string KindText(SubjectKind kind) => kind switch
    {
        SubjectKind.Server => "server",
        SubjectKind.App => "app",
        SubjectKind.Farm => "farm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such subject kind"),
    };

    private static SubjectKind ParseKind(string text) => text switch
    {
        "server" => SubjectKind.Server,
        "app" => SubjectKind.App,
        "farm" => SubjectKind.Farm,
        _ => throw new InvalidDataException($"downtime: unknown subject kind '{text}' in the store"),
    };
}
