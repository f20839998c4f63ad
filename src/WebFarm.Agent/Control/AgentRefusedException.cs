namespace WebFarm.Agent.Control;

/// <summary>The controller refused the agent (401: bad or reused join token, unknown credential; 400/409: bad join).</summary>
public sealed class AgentRefusedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
