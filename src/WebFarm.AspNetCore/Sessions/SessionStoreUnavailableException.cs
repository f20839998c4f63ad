namespace WebFarm.AspNetCore.Sessions;

/// <summary>
/// A session change was refused because the session could not be read from the store: accepting it would report a
/// write that is never stored (ASP.NET Core's session drops it silently).
/// </summary>
public sealed class SessionStoreUnavailableException(string message) : InvalidOperationException(message);
