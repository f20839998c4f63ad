using System.Text.Json;

namespace WebFarm.Agent.Control;

/// <summary>
/// What an agent keeps in its data directory after joining (agent.json, readable by its owner only): the server it
/// joined as and the credential that identifies it, so that a restart rejoins as the same server without a token.
/// </summary>
public sealed record AgentCredential(string Name, string Address, string Credential)
{
    public const string FileName = "agent.json";

    public static string PathIn(string dataDirectory) => System.IO.Path.Combine(dataDirectory, FileName);

    /// <summary>The stored credential, or null when the agent has not joined yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a credential (its path and why).</exception>
    public static AgentCredential? Load(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var credential = JsonSerializer.Deserialize(File.ReadAllText(path), ProtocolJson.TypeInfo<AgentCredential>());
            if (credential is null || string.IsNullOrEmpty(credential.Name) || string.IsNullOrEmpty(credential.Credential) || string.IsNullOrEmpty(credential.Address))
            {
                throw new InvalidDataException($"{path}: name, address and credential are required; remove the file and join again with --join-token");
            }

            return credential;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a valid agent credential ({ex.Message.Split(". ")[0]}); remove the file and join again with --join-token");
        }
    }

    /// <summary>Writes the file atomically (temp file, then rename), readable and writable by the owner only.</summary>
    public void Save(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, ProtocolJson.TypeInfo<AgentCredential>());
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
