using System.Text.Json;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// Keeps operator decisions (state, live weight, servers added through the API) and each server's health verdict in
/// {StateDirectory}/servers.json so that they survive a restart — NLB's "retain suspended state after restart",
/// HAProxy's server-state-file.
/// Written atomically (temp file + rename) so a crash mid-write never leaves a half file behind.
/// </summary>
internal sealed class ServerStateStore
{
    private readonly string _path;
    private readonly object _writeLock = new();

    public ServerStateStore(string directory)
    {
        Directory = directory;
        _path = Path.Combine(directory, "servers.json");
    }

    public string Directory { get; }

    /// <summary>Reads the saved states; a missing or unreadable file yields an empty set (and the reason).</summary>
    public Dictionary<string, Dictionary<string, SavedServer>> Load(out string? problem)
    {
        problem = null;
        var empty = new Dictionary<string, Dictionary<string, SavedServer>>(StringComparer.Ordinal);
        if (!File.Exists(_path))
        {
            return empty;
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllText(_path), ServerStateJson.Default.SavedFile);
            return file?.Farms ?? empty;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            problem = $"{_path}: {ex.Message}";
            return empty;
        }
    }

    public void Save(IReadOnlyDictionary<string, FarmRuntime> farms)
    {
        var file = new SavedFile { Farms = new Dictionary<string, Dictionary<string, SavedServer>>(StringComparer.Ordinal) };
        foreach (var (name, farm) in farms)
        {
            var servers = new Dictionary<string, SavedServer>(StringComparer.Ordinal);
            foreach (var server in farm.Servers)
            {
                servers[server.Name] = new SavedServer
                {
                    State = server.State,
                    Weight = server.Weight,
                    ConfigWeight = server.ConfigWeight,
                    Healthy = server.Healthy,
                    Added = server.AddedAtRuntime && server.Options is { } o
                        ? new SavedServerOptions { Address = o.Address, Weight = o.Weight, Backup = o.Backup, MaxConcurrentRequests = o.MaxConcurrentRequests }
                        : null,
                };
            }

            file.Farms[name] = servers;
        }

        var json = JsonSerializer.Serialize(file, ServerStateJson.Default.SavedFile);
        lock (_writeLock)
        {
            System.IO.Directory.CreateDirectory(Directory);
            var temp = _path + ".tmp";
            File.WriteAllText(temp, json);
            File.Move(temp, _path, overwrite: true);
        }
    }

    internal sealed class SavedFile
    {
        public int Version { get; set; } = 1;

        public Dictionary<string, Dictionary<string, SavedServer>> Farms { get; set; } = new(StringComparer.Ordinal);
    }

    internal sealed class SavedServer
    {
        public ServerState State { get; set; }

        public int Weight { get; set; }

        /// <summary>The config weight when the live weight was saved: a changed config weight wins over the saved one.</summary>
        public int ConfigWeight { get; set; }

        public SavedServerOptions? Added { get; set; }

        /// <summary>The health verdict when saved; files from before it was kept have none, read as healthy.</summary>
        public bool Healthy { get; set; } = true;
    }

    internal sealed class SavedServerOptions
    {
        public string Address { get; set; } = string.Empty;

        public int Weight { get; set; }

        public bool Backup { get; set; }

        public int? MaxConcurrentRequests { get; set; }
    }
}
