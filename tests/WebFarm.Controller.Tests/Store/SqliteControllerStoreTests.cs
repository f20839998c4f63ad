using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Store;

public sealed class SqliteControllerStoreTests : ControllerStoreContract, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    protected override async Task<IControllerStore> OpenAsync() => await SqliteControllerStore.OpenAsync(_dir.Sub(SqliteControllerStore.FileName), default);
}
