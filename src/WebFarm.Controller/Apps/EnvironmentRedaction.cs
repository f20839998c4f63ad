namespace WebFarm.Controller.Apps;

/// <summary>
/// What the apps API shows of an app's environment: the names, with every value replaced by <see cref="Hidden"/> unless
/// the caller asks for them (`?showSecrets=true`, `webfarm apps list --show-secrets`). Environment values are where
/// connection strings, passwords and API keys go, and `webfarm apps list -o json` ends up in tickets, CI logs and
/// screen shares; the API cannot tell a secret value from a harmless one, so it hides them all (as Azure App Service's
/// application settings do) and the operator reveals them on purpose. The agents get the real values through their
/// own channel (the heartbeat's desired apps); the store keeps them as given.
/// </summary>
internal static class EnvironmentRedaction
{
    /// <summary>What a hidden value reads as.</summary>
    public const string Hidden = "***";

    /// <summary>The query parameter that shows the values.</summary>
    public const string ShowParameter = "showSecrets";

    public static AppDefinition Redact(AppDefinition app)
    {
        if (app.Environment.Count == 0)
        {
            return app;
        }

        var hidden = new Dictionary<string, string>(app.Environment.Count, StringComparer.Ordinal);
        foreach (var name in app.Environment.Keys)
        {
            hidden[name] = Hidden;
        }

        return app with { Environment = hidden };
    }

    public static IReadOnlyList<AppDefinition> Redact(IReadOnlyCollection<AppDefinition> apps)
    {
        var list = new List<AppDefinition>(apps.Count);
        foreach (var app in apps)
        {
            list.Add(Redact(app));
        }

        return list;
    }
}
