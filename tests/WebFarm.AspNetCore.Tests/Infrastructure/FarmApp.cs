using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Security.Claims;
using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A small member app (what a user's ASP.NET Core app looks like): session, cookie auth, an antiforgery
/// form, and <c>builder.AddWebFarm()</c>. Runs in-process on Kestrel at 127.0.0.1:0.
/// </summary>
public sealed class FarmApp : IAsyncDisposable
{
    private FarmApp(WebApplication app, WebFarmOptions options)
    {
        App = app;
        Options = options;
        var address = app.Urls.Single();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    public WebApplication App { get; }

    public WebFarmOptions Options { get; }

    public Uri BaseAddress { get; }

    /// <summary>Completed by GET /slow once it is running; /slow then waits for <see cref="SlowRelease"/>.</summary>
    public TaskCompletionSource SlowEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource SlowRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FarmApp> StartAsync(IDictionary<string, string?> settings, string applicationName = "FarmTestApp")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        var options = builder.AddWebFarm();
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            cookie.Events.OnRedirectToLogin = context =>
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
        });

        var app = builder.Build();
        FarmApp? self = null;
        app.MapGet("/session/set", async (HttpContext context, string value) =>
        {
            context.Session.SetString("value", value);
            await context.Session.CommitAsync();
            return "stored";
        });
        app.MapGet("/session/get", async (HttpContext context) =>
        {
            await context.Session.LoadAsync();
            return context.Session.GetString("value") ?? "(none)";
        });
        app.MapGet("/login", async (HttpContext context, string name) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(new ClaimsPrincipal(identity));
            return "signed in";
        });
        app.MapGet("/me", (HttpContext context) => context.User.Identity?.IsAuthenticated == true
            ? Results.Text(context.User.Identity.Name)
            : Results.StatusCode(StatusCodes.Status401Unauthorized));
        app.MapGet("/form", (HttpContext context, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(context);
            return Results.Text(tokens.FormFieldName + "\n" + tokens.RequestToken);
        });
        app.MapPost("/form", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context);
                return Results.Text("accepted");
            }
            catch (AntiforgeryValidationException ex)
            {
                return Results.Text("rejected: " + ex.Message, statusCode: StatusCodes.Status400BadRequest);
            }
        }).DisableAntiforgery();
        app.MapGet("/whoami", (HttpContext context) => $"{context.Connection.RemoteIpAddress} {context.Request.Scheme} {context.Request.Host}");
        app.MapGet("/slow", async () =>
        {
            self!.SlowEntered.TrySetResult();
            await self.SlowRelease.Task;
            return "done";
        });

        await app.StartAsync();
        self = new FarmApp(app, options);
        return self;
    }

    public static HttpClient CreateClient(CookieContainer cookies) =>
        new(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    public Uri Url(string relative) => new(BaseAddress, relative);

    public async ValueTask DisposeAsync()
    {
        SlowRelease.TrySetResult();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
