namespace WebFarm.Balancer.Dashboard;

/// <summary>GET /dashboard/data/cells's answer: the structure (names of what the tables list), each cell's text and class.</summary>
public sealed record DashboardCellsData(string Structure, Dictionary<string, string> Cells, Dictionary<string, string> Classes);
