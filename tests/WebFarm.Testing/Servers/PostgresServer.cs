using System.Globalization;

namespace WebFarm.Testing;

/// <summary>
/// A real PostgreSQL (Debian package postgresql) in a temporary directory on an ephemeral port:
/// initdb as the postgres user (initdb refuses root), pg_ctl start with a private socket directory,
/// stopped and deleted at dispose. Missing binaries FAIL the tests with a clear message: the test
/// script is expected to install them.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _directory;
    private string? _bin;

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _directory = Directory.CreateTempSubdirectory("wf-pg-").FullName;
        bool root = Environment.UserName == "root";
        if (root)
        {
            await ProcessRunner.RunAsync("chown", ["-R", "postgres:postgres", _directory]);
        }

        string data = Path.Combine(_directory, "data");
        await RunAsPostgres(root, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await RunAsPostgres(root, "pg_ctl", ["-D", data, "-l", Path.Combine(_directory, "postgres.log"), "-w", "-t", "60",
                    "-o", string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"), "start"]);
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException("PostgreSQL did not start: " + last?.Message, last);
    }

    public async Task DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }

        try
        {
            await RunAsPostgres(Environment.UserName == "root", "pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Not running (start failed); nothing to stop.
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static string FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0).ToList()
            : [];
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/<version>/bin. " +
                "These tests need a real PostgreSQL: install the Debian package 'postgresql' (the test script does this).");
        }

        return candidates[0];
    }

    private Task<string> RunAsPostgres(bool root, string tool, string[] args)
    {
        string path = Path.Combine(_bin!, tool);
        return root
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", path, .. args], TimeSpan.FromSeconds(90))
            : ProcessRunner.RunAsync(path, args, TimeSpan.FromSeconds(90));
    }
}
