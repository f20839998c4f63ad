namespace WebFarm.Balancer.Dashboard;

/// <summary>One line of a chart: a name for the legend and its points (time, value), oldest first.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(DateTimeOffset Time, double Value)> Points);
