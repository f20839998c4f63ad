using System.Text.Json.Serialization;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Commands;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Api;

/// <summary>
/// Every type the controller writes or reads as JSON beyond the balancer's admin types and the agent protocol's: its API
/// answers, the documents it stores (apps, deployments, a server's load and labels) and the protocol messages it answers
/// with the API's conventions. Generated at compile time (System.Text.Json source generation), so the Native AOT build
/// runs the controller with the same JSON as the JIT build (docs/packaging.md). A type missing here fails with
/// NotSupportedException in every build, so the controller tests catch it. The conventions are
/// <see cref="ControllerJson"/>'s (one context serves both of its option sets), not set here.
/// </summary>
[JsonSerializable(typeof(ControllerStatus))]
[JsonSerializable(typeof(StandbyError))]
[JsonSerializable(typeof(JoinTokenResult))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(IReadOnlyList<AgentInfo>))]
[JsonSerializable(typeof(List<BalancerStatus>))]
[JsonSerializable(typeof(ServerLoad))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(AppDefinition))]
[JsonSerializable(typeof(IReadOnlyList<AppDefinition>))]
[JsonSerializable(typeof(List<DesiredApp>))]
[JsonSerializable(typeof(List<ProcessInfo>))]
[JsonSerializable(typeof(RestartResult))]
[JsonSerializable(typeof(RunResults))]
[JsonSerializable(typeof(RunEvent))]
[JsonSerializable(typeof(DeploymentRecord))]
[JsonSerializable(typeof(List<DeploymentRecord>))]
[JsonSerializable(typeof(List<TraceRecord>))]
[JsonSerializable(typeof(TraceClearResult))]
[JsonSerializable(typeof(AvailabilityResult))]
[JsonSerializable(typeof(BlobsMissingResult))]
[JsonSerializable(typeof(BlobStoreResult))]
[JsonSerializable(typeof(TransferResult))]
[JsonSerializable(typeof(TreeView))]
[JsonSerializable(typeof(List<TreeView>))]
[JsonSerializable(typeof(TreeManifest))]
[JsonSerializable(typeof(SyncRequest))]
[JsonSerializable(typeof(SyncResponse))]
internal sealed partial class ControllerJsonContext : JsonSerializerContext;
