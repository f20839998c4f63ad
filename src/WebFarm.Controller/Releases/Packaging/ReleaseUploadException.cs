namespace WebFarm.Controller.Releases.Packaging;

/// <summary>The controller refused an upload or could not take it; the message has the step and the controller's reason.</summary>
public sealed class ReleaseUploadException(string message) : Exception(message);
