namespace HelloFarm.Pages;

/// <summary>
/// What the sample keeps in the session: the visitor's name and a visit counter. The session lives in
/// the farm's state service, so any server can read what another one wrote.
/// </summary>
internal static class VisitorSession
{
    private const string FirstNameKey = "FirstName";
    private const string LastNameKey = "LastName";
    private const string VisitsKey = "Visits";

    public static async Task<int> CountVisitAsync(HttpContext context)
    {
        // Load first: with a distributed store, reading the session synchronously would block a thread on I/O.
        await context.Session.LoadAsync(context.RequestAborted);
        var visits = (context.Session.GetInt32(VisitsKey) ?? 0) + 1;
        context.Session.SetInt32(VisitsKey, visits);
        await CommitAsync(context);
        return visits;
    }

    public static async Task<(string? FirstName, string? LastName)> GetNameAsync(HttpContext context)
    {
        await context.Session.LoadAsync(context.RequestAborted);
        return (context.Session.GetString(FirstNameKey), context.Session.GetString(LastNameKey));
    }

    public static async Task SetNameAsync(HttpContext context, string firstName, string lastName)
    {
        await context.Session.LoadAsync(context.RequestAborted);
        context.Session.SetString(FirstNameKey, firstName);
        context.Session.SetString(LastNameKey, lastName);
        await CommitAsync(context);
    }

    /// <summary>
    /// Writes the session to the store now, before the page is answered. The session middleware would commit it only
    /// after the response has gone out, and a visitor whose next request reaches another server could then read the
    /// session from before this one (its write landing last): 96 of about 10,000 GET / → POST / → GET /about rounds
    /// of 64 visitors showed the previous name (RollingDeploymentTests) before this.
    /// </summary>
    private static Task CommitAsync(HttpContext context) => context.Session.CommitAsync(context.RequestAborted);
}
