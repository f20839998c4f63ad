namespace WebFarm.Controller.Agents;

/// <summary>A join or heartbeat the controller refuses: the status to answer and the message both sides show.</summary>
public sealed class AgentRefusal(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
