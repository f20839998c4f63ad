using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

public static class WebFarmOptionsTestExtensions
{
    public static string StoreKindForTests(this WebFarmOptions options) => options.Store == WebFarmStore.Resp ? "resp" : "postgres";
}
