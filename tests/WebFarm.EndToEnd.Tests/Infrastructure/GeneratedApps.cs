using System.Diagnostics;

namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Minimal apps a new user could have written (`dotnet new web`, no WebFarm reference), generated into a temporary
/// folder and built once for a whole test class (one `dotnet build` of a solution holding them all: the machine is
/// slow, and each build costs seconds). Each answers with its server name (WEBFARM_SERVER_NAME), so tests can see
/// which instance served.
/// </summary>
public sealed class GeneratedApps : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The apps: name → Program.cs.</summary>
    private static readonly Dictionary<string, string> Sources = new(StringComparer.Ordinal)
    {
        // No health endpoint at all: /healthz is a 404, like a fresh `dotnet new web` app.
        ["NoHealth"] = """
            var app = WebApplication.CreateBuilder(args).Build();
            var name = Environment.GetEnvironmentVariable("WEBFARM_SERVER_NAME") ?? "?";
            app.MapGet("/", () => $"hello from {name}");
            app.Run();
            """,

        // A health endpoint that reports failure (a database it cannot reach), while pages still answer.
        ["FailingHealth"] = """
            var app = WebApplication.CreateBuilder(args).Build();
            var name = Environment.GetEnvironmentVariable("WEBFARM_SERVER_NAME") ?? "?";
            app.MapGet("/", () => $"hello from {name}");
            var recovered = false; // POST /recover: its "database" is back (the server should then join).
            app.MapGet("/healthz", () => recovered ? Results.Text("ok") : Results.Text("database unreachable", statusCode: 500));
            app.MapPost("/recover", () => { recovered = true; return Results.NoContent(); });
            app.Run();
            """,

        // Dies before it listens, as an app with a missing setting does.
        ["ExitsAtStart"] = """
            var builder = WebApplication.CreateBuilder(args);
            Console.WriteLine("ExitsAtStart: reading the configuration");
            if (builder.Configuration.GetConnectionString("Db") is null)
            {
                throw new InvalidOperationException("ConnectionStrings:Db is not set");
            }

            builder.Build().Run();
            """,

        // Its health endpoint is /ready; its /healthz is a stale one that fails, so only --health-path makes it healthy.
        ["CustomHealth"] = """
            var app = WebApplication.CreateBuilder(args).Build();
            var name = Environment.GetEnvironmentVariable("WEBFARM_SERVER_NAME") ?? "?";
            app.MapGet("/", () => $"hello from {name}");
            app.MapGet("/ready", () => "ready");
            app.MapGet("/healthz", () => Results.Text("stale endpoint", statusCode: 500));
            app.Run();
            """,
    };

    private readonly string _root = Path.Combine(Path.GetTempPath(), "webfarm-apps-" + Guid.NewGuid().ToString("N")[..12]);

    public string Project(string name) => Path.Combine(_root, name, name + ".csproj");

    /// <summary>The app's Release build output (what `webfarm up --app X.csproj` also builds and runs).</summary>
    public string Dll(string name) => Path.Combine(_root, name, "bin", "Release", "net10.0", name + ".dll");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var solution = new System.Text.StringBuilder("<Solution>\n");
        foreach (var (name, program) in Sources)
        {
            var dir = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(dir, name + ".csproj"), """
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), program);
            solution.Append($"  <Project Path=\"{name}/{name}.csproj\" />\n");
        }

        solution.Append("</Solution>\n");
        var slnx = Path.Combine(_root, "apps.slnx");
        await File.WriteAllTextAsync(slnx, solution.ToString());
        await BuildAsync(slnx);
        foreach (var name in Sources.Keys)
        {
            Assert.True(File.Exists(Dll(name)), $"{Dll(name)} was not built");
        }
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }

        return Task.CompletedTask;
    }

    private async Task BuildAsync(string solution)
    {
        var startInfo = new ProcessStartInfo(RepositoryPaths.DotNetHost, ["build", solution, "-c", "Release", "-nologo", "-v:q", "-nodeReuse:false", "-clp:NoSummary;ErrorsOnly"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        var (exitCode, stdout, stderr) = await UpProcess.RunToExitAsync(startInfo, BuildTimeout);
        Assert.True(exitCode == 0, $"building the generated apps failed ({exitCode}):\n{stdout}\n{stderr}");
    }
}
