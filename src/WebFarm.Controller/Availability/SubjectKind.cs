namespace WebFarm.Controller.Availability;

/// <summary>What an availability record is about. Stored and shown in lower case.</summary>
public enum SubjectKind
{
    /// <summary>One server: down while it is out of rotation (lost agent, failed health, drained or offline).</summary>
    Server,

    /// <summary>One app (a balancer farm the app's servers are in): down while none of its instances is in rotation.</summary>
    App,

    /// <summary>The whole farm: down while no server at all is in rotation.</summary>
    Farm,
}
