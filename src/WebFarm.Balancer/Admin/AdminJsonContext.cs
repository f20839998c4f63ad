using System.Text.Json.Serialization;
using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Statistics;
using WebFarm.Balancer.Tcp;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Every type the balancer's admin API writes or its client sends, with serialization code generated at compile time
/// (System.Text.Json source generation): no reflection, so the Native AOT build serves the same JSON as the JIT build
/// (docs/packaging.md). A type missing here fails with NotSupportedException in every build, so the admin API tests
/// catch it. The naming and enum conventions are <see cref="AdminJson.Options"/>'s, not set here.
/// </summary>
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(FarmInfo))]
[JsonSerializable(typeof(List<FarmInfo>))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(List<ServerInfo>))]
[JsonSerializable(typeof(HealthProbeResult))]
[JsonSerializable(typeof(FarmStatisticsSnapshot))]
[JsonSerializable(typeof(List<FarmStatisticsSnapshot>))]
[JsonSerializable(typeof(IReadOnlyList<TcpListenerStatistics>))]
[JsonSerializable(typeof(IReadOnlyList<FarmEvent>))]
[JsonSerializable(typeof(CachePurgeResult))]
[JsonSerializable(typeof(DashboardCellsData))]
[JsonSerializable(typeof(AddServerRequest))]
[JsonSerializable(typeof(WeightRequest))]
[JsonSerializable(typeof(ControllerFarmInfo))]
[JsonSerializable(typeof(List<ControllerFarmInfo>))]
[JsonSerializable(typeof(ControllerFarmRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
