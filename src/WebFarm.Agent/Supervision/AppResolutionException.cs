namespace WebFarm.Agent.Supervision;

/// <summary>The app path given to the supervisor cannot be run: says which path and why.</summary>
public sealed class AppResolutionException : Exception
{
    public AppResolutionException(string message)
        : base(message)
    {
    }

    public AppResolutionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
