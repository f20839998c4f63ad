using WebFarm.Agent.Supervision;

namespace WebFarm.Commands;

/// <summary>One row of <see cref="FarmConsoleView"/>: a server and its app process.</summary>
internal sealed record FarmServerRow(string Name, int Port, string Address, InstanceState State, int? ProcessId, int Restarts);
