namespace WebFarm.Controller.Hosting;

/// <summary>The controller cannot start (bad option, unwritable data directory, unreadable store); nothing is left running.</summary>
public sealed class ControllerStartException(string message, Exception? inner = null) : Exception(message, inner);
