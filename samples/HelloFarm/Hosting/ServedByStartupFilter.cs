namespace HelloFarm.Hosting;

/// <summary>
/// Stamps every response, including the farm library's /healthz and error responses, with the server
/// name and process id (X-Served-By, X-Instance-Id), so that scripts and tests see who answered without
/// parsing pages. A startup filter registered before AddWebFarm() runs outside the library's middleware.
/// </summary>
internal sealed class ServedByStartupFilter(InstanceInfo instance) : IStartupFilter
{
    private readonly string _processId = instance.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.Headers["X-Served-By"] = instance.ServerName;
            context.Response.Headers["X-Instance-Id"] = _processId;
            return nextMiddleware(context);
        });
        next(app);
    };
}
