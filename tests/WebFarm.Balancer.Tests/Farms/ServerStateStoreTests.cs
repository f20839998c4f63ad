using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Farms;

/// <summary>servers.json as earlier versions wrote it (reflection serialization) still loads with the generated reader.</summary>
public sealed class ServerStateStoreTests
{
    [Fact]
    public void A_file_written_by_an_earlier_version_loads()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webfarm-state-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            File.WriteAllText(Path.Combine(directory, "servers.json"), """
                {
                  "version": 1,
                  "farms": {
                    "web": {
                      "web1": { "state": "Draining", "weight": 5, "configWeight": 1 },
                      "web2": { "state": 2, "weight": 1, "configWeight": 1,
                                "added": { "address": "http://127.0.0.1:81/", "weight": 1, "backup": true, "maxConcurrentRequests": 9 } }
                    }
                  }
                }
                """);

            var farms = new ServerStateStore(directory).Load(out var problem);

            Assert.Null(problem);
            var web = farms["web"];
            Assert.Equal(ServerState.Draining, web["web1"].State);
            Assert.Equal(5, web["web1"].Weight);
            Assert.Null(web["web1"].Added);
            Assert.Equal(ServerState.Offline, web["web2"].State);
            Assert.Equal("http://127.0.0.1:81/", web["web2"].Added!.Address);
            Assert.True(web["web2"].Added!.Backup);
            Assert.Equal(9, web["web2"].Added!.MaxConcurrentRequests);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
