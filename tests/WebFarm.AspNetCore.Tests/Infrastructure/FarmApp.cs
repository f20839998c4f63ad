using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A small member app (what a user's ASP.NET Core app looks like): session, cookie auth, an antiforgery
/// form, and <c>builder.AddWebFarm()</c>. Runs in-process on Kestrel at 127.0.0.1:0.
/// </summary>
public sealed class FarmApp : IAsyncDisposable
{
    private readonly string _releaseFolder;

    private FarmApp(WebApplication app, WebFarmOptions options, string releaseFolder)
    {
        _releaseFolder = releaseFolder;
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
        // Each instance runs from its own folder with its own local key directory, like two servers
        // (or two release folders): anything shared must come through the WebFarm store.
        string releaseFolder = Directory.CreateTempSubdirectory("wf-release-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            EnvironmentName = "Production",
            ContentRootPath = releaseFolder,
        });
        try
        {
            return await BuildAndStartAsync(builder, settings, releaseFolder);
        }
        catch
        {
            Directory.Delete(releaseFolder, recursive: true);
            throw;
        }
    }

    private static async Task<FarmApp> BuildAndStartAsync(WebApplicationBuilder builder, IDictionary<string, string?> settings, string releaseFolder)
    {
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(releaseFolder, "keys")));
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
        // A session write whose commit waits for the test (SlowEntered/SlowRelease), so the store can change in between.
        app.MapGet("/session/set-then-wait", async (HttpContext context, string value) =>
        {
            context.Session.SetString("value", value);
            self!.SlowEntered.TrySetResult();
            await self.SlowRelease.Task;
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
        self = new FarmApp(app, options, releaseFolder);
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
        Directory.Delete(_releaseFolder, recursive: true);
    }
}
