using System.Text.Json.Serialization;
using WebFarm.Agent.Releases;

namespace WebFarm.Agent.Control;

/// <summary>
/// The agent protocol's messages and the agent's credential file, generated at compile time (System.Text.Json source
/// generation) so the Native AOT build reads and writes them without reflection (docs/packaging.md). The conventions
/// are <see cref="ProtocolJson.Options"/>'s.
/// </summary>
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(SyncRequest))]
[JsonSerializable(typeof(SyncResponse))]
[JsonSerializable(typeof(TreeManifest))]
[JsonSerializable(typeof(AgentCredential))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
