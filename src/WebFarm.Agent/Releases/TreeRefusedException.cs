namespace WebFarm.Agent.Releases;

/// <summary>A release, content set or package refused before anything of it was written or run; the message says which entry and why.</summary>
public sealed class TreeRefusedException(string message, Exception? inner = null) : Exception(message, inner);
