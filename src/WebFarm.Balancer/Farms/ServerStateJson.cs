using System.Text.Json.Serialization;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// servers.json's shape, generated at compile time (System.Text.Json source generation) so the file is read and written
/// without reflection: the same code runs in the JIT build and in the Native AOT build (docs/packaging.md). The options
/// are the file's format: indented, camelCase, enums as their names, nulls left out.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ServerStateStore.SavedFile))]
internal sealed partial class ServerStateJson : JsonSerializerContext;
