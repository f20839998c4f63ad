using WebFarm.EndToEnd.Tests.Infrastructure;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>A farm for one dashboard test: web1..webN as real backend processes behind a real `webfarm balancer`.</summary>
internal sealed class DashboardFarm : IAsyncDisposable
{
    private DashboardFarm(BackendProcess[] backends, BalancerProcess balancer)
    {
        Backends = backends;
        Balancer = balancer;
    }

    public BackendProcess[] Backends { get; }

    public BalancerProcess Balancer { get; }

    public string Dashboard => new Uri(Balancer.AdminUrl, "/dashboard/").ToString();

    public static async Task<DashboardFarm> StartAsync(int servers = 2, string? token = null)
    {
        var backends = await BackendProcess.StartManyAsync(servers);
        try
        {
            var balancer = await BalancerProcess.StartAsync(backends, token);
            return new DashboardFarm(backends, balancer);
        }
        catch
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Balancer.DisposeAsync();
        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }
    }
}
