namespace WebFarm.Controller.Api;

/// <summary>An operator request the controller refuses with a specific status (404 unknown app or server, 409 a
/// conflict with the farm as it is) and the message the CLI prints. Nothing was changed.</summary>
public sealed class ApiException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
