namespace WebFarm.Controller.Availability;

/// <summary>Whether a subject is in service at one moment, and if not, why and whether an operator meant it.</summary>
public readonly record struct SubjectStatus(bool Down, bool Scheduled, string Cause)
{
    public static readonly SubjectStatus Up = new(false, false, string.Empty);

    /// <summary>An operator's drain, offline, restart or deploy.</summary>
    public static SubjectStatus ScheduledDown(string cause) => new(true, true, cause);

    /// <summary>Failed health, a lost agent, a crash.</summary>
    public static SubjectStatus UnscheduledDown(string cause) => new(true, false, cause);
}
