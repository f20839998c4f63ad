namespace WebFarm.Agent.Control;

/// <summary>A data directory that cannot be created or written.</summary>
public sealed class DataDirectoryException(string message) : Exception(message);
