using System.Text.Json;
using System.Text.Json.Serialization;
using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>
/// What <see cref="ReleaseUploader"/> sends (`webfarm deploy` and `content push`), generated at compile time so the
/// Native AOT command line sends it too (docs/packaging.md); the protocol's conventions (camelCase).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TreeManifest))]
[JsonSerializable(typeof(ReleaseUpload))]
internal sealed partial class ReleaseUploadJson : JsonSerializerContext;
