using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Releases;

/// <summary>
/// The release endpoints of the controller API. Operator (bearer token): blob upload, release and content set
/// creation and listing, transfer counters. Agent (its credential): sync, manifests, blob download.
/// </summary>
internal static class ReleaseApi
{
    /// <summary>A manifest of <see cref="TreeLimits.DefaultMaxFiles"/> entries is ~15 MB of JSON; bodies above this are refused by Kestrel (413).</summary>
    private const long MaxManifestBodyBytes = 64L << 20;

    private const string AgentPrefix = "/api/agents/";

    /// <summary>The agent endpoints here, which authenticate the agent's credential instead of the operator's token.</summary>
    public static bool IsAgentEndpoint(PathString path)
        => path.StartsWithSegments(AgentPrefix + "sync", StringComparison.Ordinal)
        || path.StartsWithSegments(AgentPrefix + "blobs", StringComparison.Ordinal)
        || path.StartsWithSegments(AgentPrefix + "releases", StringComparison.Ordinal)
        || path.StartsWithSegments(AgentPrefix + "content", StringComparison.Ordinal);

    public static void Map(WebApplication app, ReleaseLibrary library, Func<HttpContext, AgentRegistry> registry)
    {
        app.MapPost("/api/blobs/missing", async context =>
        {
            // The manifest is checked here, before any blob is sent: a package the controller would refuse costs no upload.
            var manifest = await ReadManifestAsync(context);
            ManifestRules.Check(manifest.Manifest, library.Limits);
            var hashes = new List<string?>(manifest.Manifest.Files.Count);
            foreach (var file in manifest.Manifest.Files)
            {
                hashes.Add(file.Sha256);
            }

            await ControllerJson.Write(context, new BlobsMissingResult(library.Missing(hashes)));
        });
        app.MapPut("/api/blobs/{sha256}", async context =>
        {
            // Raised first: a blob already stored is answered without reading the body, which Kestrel then drains.
            AllowBody(context, library.Limits.MaxFileBytes);
            var sha256 = (string)context.Request.RouteValues["sha256"]!;
            if (library.Blobs.Contains(sha256))
            {
                await ControllerJson.Write(context, new BlobStoreResult(sha256, Stored: false));
                return;
            }

            await library.StoreBlobAsync(sha256, context.Request.Body, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await ControllerJson.Write(context, new BlobStoreResult(sha256, Stored: true));
        });
        app.MapPost("/api/apps/{app}/releases", context => CreateAsync(context, library, TreeInstaller.ReleaseKind, "app"));
        app.MapGet("/api/apps/{app}/releases", async context =>
        {
            var name = (string)context.Request.RouteValues["app"]!;
            await ControllerJson.Write(context, await ListAsync(library, TreeInstaller.ReleaseKind, name, context.RequestAborted));
        });
        app.MapPost("/api/content/{set}", context => CreateAsync(context, library, TreeInstaller.ContentKind, "set"));
        app.MapGet("/api/content", async context => await ControllerJson.Write(context, await ListAsync(library, TreeInstaller.ContentKind, null, context.RequestAborted)));
        app.MapGet("/api/transfer", context => ControllerJson.Write(context, new TransferResult(library.Transfer.BlobsReceived, library.Transfer.BytesReceived, library.Transfer.BlobsSent, library.Transfer.BytesSent)));

        app.MapPost(AgentPrefix + "sync", async context =>
        {
            var server = registry(context).AuthenticateAgent(AdminTokenCheck.PresentedToken(context.Request));
            AllowBody(context, MaxManifestBodyBytes);
            using var body = await AdminHttp.ReadBody(context);
            var report = ControllerApi.Read<SyncRequest>(body, "a sync report");

            if (report?.Releases is null || report.Content is null || report.Failures is null)
            {
                throw new AdminRequestException("releases, content, failures: are required (lists, possibly empty)");
            }

            library.Report(server, report);
            await ControllerJson.Write(context, library.DesiredFor(registry(context).PlacedReleases(server)));
        });
        app.MapGet(AgentPrefix + "releases/{name}/{id:long}", context => ManifestAsync(context, library, registry(context), TreeInstaller.ReleaseKind));
        app.MapGet(AgentPrefix + "content/{name}/{id:long}", context => ManifestAsync(context, library, registry(context), TreeInstaller.ContentKind));
        app.MapGet(AgentPrefix + "blobs/{sha256}", async context =>
        {
            registry(context).AuthenticateAgent(AdminTokenCheck.PresentedToken(context.Request));
            var sha256 = (string)context.Request.RouteValues["sha256"]!;
            if (!ManifestRules.IsSha256(sha256) || !library.Blobs.Contains(sha256))
            {
                throw new AgentRefusal(StatusCodes.Status404NotFound, $"no blob {sha256}");
            }

            var path = library.Blobs.PathOf(sha256);
            var size = new FileInfo(path).Length;
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = size;
            await context.Response.SendFileAsync(path, context.RequestAborted);
            library.Transfer.Sent(size);
        });
    }

    private static async Task CreateAsync(HttpContext context, ReleaseLibrary library, string kind, string routeKey)
    {
        var name = (string)context.Request.RouteValues[routeKey]!;
        var (manifest, message) = await ReadManifestAsync(context);
        var record = await library.CreateAsync(kind, name, message, manifest, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ControllerJson.Write(context, View(record, library));
    }

    /// <summary>A body like {"message": "...", "files": [{"path", "size", "mode", "sha256"}]}.</summary>
    private static async Task<(TreeManifest Manifest, string? Message)> ReadManifestAsync(HttpContext context)
    {
        AllowBody(context, MaxManifestBodyBytes);
        using var body = await AdminHttp.ReadBody(context);
        var manifest = ControllerApi.Read<TreeManifest>(body, "a manifest like {\"message\": \"...\", \"files\": [{\"path\", \"size\", \"mode\", \"sha256\"}]}");
        string? message = null;
        if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("message", out var text) && text.ValueKind != JsonValueKind.Null)
        {
            message = text.ValueKind == JsonValueKind.String ? text.GetString() : throw new AdminRequestException("message: must be a string");
        }

        if (manifest?.Files is null)
        {
            throw new AdminRequestException("files: is required (a list of {path, size, mode, sha256})");
        }

        return (manifest, message);
    }

    private static async Task<List<TreeView>> ListAsync(ReleaseLibrary library, string kind, string? name, CancellationToken cancellationToken)
    {
        var list = new List<TreeView>();
        foreach (var record in await library.ListAsync(kind, name, cancellationToken))
        {
            list.Add(View(record, library));
        }

        return list;
    }

    private static TreeView View(TreeRecord record, ReleaseLibrary library)
    {
        var placement = library.PlacementOf(record.Kind, record.Name, record.Id);
        return new TreeView(record.Name, record.Id, record.Created, record.Message, record.Size, record.Files, record.Changed, placement.InstalledOn, placement.RefusedBy);
    }

    private static async Task ManifestAsync(HttpContext context, ReleaseLibrary library, AgentRegistry registry, string kind)
    {
        registry.AuthenticateAgent(AdminTokenCheck.PresentedToken(context.Request));
        var name = (string)context.Request.RouteValues["name"]!;
        var id = long.Parse((string)context.Request.RouteValues["id"]!, CultureInfo.InvariantCulture);
        var manifest = await library.GetManifestAsync(kind, name, id, context.RequestAborted)
            ?? throw new AgentRefusal(StatusCodes.Status404NotFound, $"no {kind} {name} #{id} (the controller keeps the last {library.KeepPerName})");
        await ControllerJson.Write(context, manifest);
    }

    private static void AllowBody(HttpContext context, long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }
}
