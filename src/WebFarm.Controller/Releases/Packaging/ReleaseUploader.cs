using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>
/// Sends a <see cref="LocalPackage"/> to the controller: the manifest first (POST /api/blobs/missing: the controller
/// checks it and answers which blobs it lacks), then only those blobs (PUT /api/blobs/SHA256, a few at a time), then
/// the release or content set version itself. A blob the controller pruned between the two steps (a release
/// expiring meanwhile) gets a 409 naming it; the upload then runs once more.
/// </summary>
public static class ReleaseUploader
{
    private const int ParallelUploads = 4;

    /// <param name="http">A client whose base address is the controller API and which carries the operator's token.</param>
    /// <param name="kind">"release" (name = the app) or "content" (name = the set).</param>
    /// <exception cref="ReleaseUploadException">The controller refused (its reason) or failed.</exception>
    public static async Task<UploadResult> UploadAsync(HttpClient http, string kind, string name, string? message, LocalPackage package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(package);
        var path = kind == TreeInstaller.ContentKind ? $"api/content/{Uri.EscapeDataString(name)}" : $"api/apps/{Uri.EscapeDataString(name)}/releases";
        long bytes = 0;
        var blobs = 0;
        for (var attempt = 1; ; attempt++)
        {
            using var missingResponse = await http.PostAsync("api/blobs/missing", JsonContent.Create(new TreeManifest(package.Manifest.Files), ReleaseUploadJson.Default.TreeManifest), cancellationToken).ConfigureAwait(false);
            using var missing = await ReadAsync(missingResponse, "checking the manifest", cancellationToken).ConfigureAwait(false);
            var hashes = new List<string>();
            foreach (var hash in missing.RootElement.GetProperty("missing").EnumerateArray())
            {
                hashes.Add(hash.GetString()!);
            }

            await Parallel.ForEachAsync(hashes, new ParallelOptions { MaxDegreeOfParallelism = ParallelUploads, CancellationToken = cancellationToken }, async (hash, ct) =>
            {
                if (!package.Sources.TryGetValue(hash, out var source))
                {
                    throw new ReleaseUploadException($"the controller asked for blob {hash}, which is not in the package");
                }

                await using var file = File.OpenRead(source);
                using var content = new StreamContent(file);
                content.Headers.ContentLength = file.Length;
                using var put = await http.PutAsync($"api/blobs/{hash}", content, ct).ConfigureAwait(false);
                (await ReadAsync(put, $"uploading {hash}", ct).ConfigureAwait(false)).Dispose();
                Interlocked.Add(ref bytes, file.Length);
                Interlocked.Increment(ref blobs);
            }).ConfigureAwait(false);

            using var create = await http.PostAsync(path, JsonContent.Create(new ReleaseUpload(message, package.Manifest.Files), ReleaseUploadJson.Default.ReleaseUpload), cancellationToken).ConfigureAwait(false);
            if (create.StatusCode == HttpStatusCode.Conflict && attempt == 1)
            {
                continue;
            }

            using var created = await ReadAsync(create, $"creating the {kind}", cancellationToken).ConfigureAwait(false);
            return new UploadResult(created.RootElement.GetProperty("id").GetInt64(), created.RootElement.GetProperty("changed").GetInt32(), blobs, bytes);
        }
    }

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, string step, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ReleaseUploadException($"{step}: the controller answered {(int)response.StatusCode}: {ControllerClient.ErrorText(text)}");
        }

        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new ReleaseUploadException($"{step}: the controller's answer is not JSON ({ex.Message})");
        }
    }
}
