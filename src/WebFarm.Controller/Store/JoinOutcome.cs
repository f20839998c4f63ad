namespace WebFarm.Controller.Store;

/// <summary>What <see cref="IControllerStore.JoinAsync"/> did.</summary>
public enum JoinOutcome
{
    Joined,
    TokenUnknown,
    TokenUsed,
    TokenExpired,
    NameTaken,
}
