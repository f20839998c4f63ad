namespace WebFarm.Controller.Rotation;

/// <summary>
/// How requests reach an app's staged release (`webfarm deploy --stage`): those that carry
/// <c>X-WebFarm-Release: RELEASE</c>, and, when <paramref name="Path"/> is given, those under that path prefix (the
/// prefix is stripped, so <c>/v2/about</c> reaches the staged app as <c>/about</c>). Nothing else does.
/// </summary>
/// <param name="Release">The staged release's number (the header's value).</param>
/// <param name="Path">The stage path ("/v2"), or null for the header alone.</param>
public sealed record StageRoute(long Release, string? Path);
